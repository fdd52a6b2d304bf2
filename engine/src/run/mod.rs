//! Builds a project on DataFusion: sources and seeds as tables, models in DAG order,
//! snapshots, tests with their failing rows; descendants of a failure are skipped.

mod check;
mod check_cache;
mod compile;
mod contract;
mod execute;
pub mod freshness;
mod hooks;
mod incremental;
mod inspect;
mod memory;
mod microbatch;
mod release;
mod reload;
pub mod results;
mod rows;
mod session;
mod snapshot;
mod sorted_window;
mod sources;
mod sql_sites;
pub mod tables;
mod template_query;
mod unit_diff;
mod unit_gen;
mod unit_test;

pub use memory::{MemoryLimit, parse_size};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use chrono::NaiveDateTime;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider};
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::sqlparser::ast::{Query, Statement};
use indexmap::IndexSet;

pub use check::{CheckReport, LineageEdge};
pub use compile::{CompileResolver, Compiled, Schemas, parse_vars};
pub use results::{NodeResult, RunResults, Status, Summary};
pub use unit_diff::{Cell, DiffRow, RowChange, UnitDiff, cells};
pub use unit_gen::{WrittenUnitTest, add_to_file};

pub(crate) use session::{register_table, session, table_reference};

use crate::dag::Dag;
use crate::data::typed;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::project::resolved::TestOutcome;
use crate::project::{LoadedProject, Node, NodeKind};
use crate::redshift::functions::{self, format_timestamp};
use crate::relation::Relation;
use crate::selector;
use execute::Origin;

/// Time is a value the caller passes in; the engine never reads a clock itself.
pub trait Clock: Send + Sync {
    /// Seconds since an arbitrary start, for execution times.
    fn seconds(&self) -> f64;
}

/// A clock that stands still: execution times read 0.
#[derive(Debug, Default)]
pub struct StoppedClock;

impl Clock for StoppedClock {
    fn seconds(&self) -> f64 {
        0.0
    }
}

/// The dbt command a run stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Build,
    Run,
    Test,
    Seed,
    Snapshot,
    Compile,
}

impl Verb {
    /// The dbt command's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Build => "build",
            Verb::Run => "run",
            Verb::Test => "test",
            Verb::Seed => "seed",
            Verb::Snapshot => "snapshot",
            Verb::Compile => "compile",
        }
    }

    fn runs(self, kind: NodeKind) -> bool {
        match self {
            Verb::Build => kind != NodeKind::Source,
            Verb::Run => kind == NodeKind::Model,
            Verb::Test => kind.is_test(),
            Verb::Seed => kind == NodeKind::Seed,
            Verb::Snapshot => kind == NodeKind::Snapshot,
            Verb::Compile => matches!(kind, NodeKind::Model | NodeKind::Test | NodeKind::Snapshot),
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub verb: Verb,
    pub select: Vec<String>,
    pub exclude: Vec<String>,
    pub full_refresh: bool,
}

impl RunRequest {
    pub fn new(verb: Verb) -> Self {
        RunRequest {
            verb,
            select: Vec::new(),
            exclude: Vec::new(),
            full_refresh: false,
        }
    }
}

/// Progress of a run, for live output.
#[derive(Debug)]
pub enum Event<'a> {
    Started {
        index: usize,
        total: usize,
        node: &'a Node,
    },
    Finished {
        index: usize,
        total: usize,
        result: &'a NodeResult,
    },
}

/// A loaded project bound to a DataFusion session.
pub struct Engine {
    loaded: LoadedProject,
    dag: Dag,
    ctx: SessionContext,
    schemas: Schemas,
    run_time: NaiveDateTime,
    clock: Arc<dyn Clock>,
    compiled: HashMap<String, String>,
    built: HashSet<String>,
    sources_loaded: bool,
    /// The load file each source's table was last read from: a replay step that leaves a
    /// source on the same load does not parse it again (an edit of a data file makes a new
    /// engine, so a path stands for the same bytes).
    source_loads: HashMap<String, String>,
    /// Whether a sample file's bytes are let go once its rows are read, with every earlier
    /// load of its source (see `release_sample_files_once_read`).
    releases_read_files: bool,
    /// Whether a built table is let go once the run's last reader of it has run (see
    /// `release_tables_once_read`).
    releases_tables: bool,
    /// The columns of sources whose files were let go, as `source_schema` read them before.
    released_schemas: HashMap<String, SchemaRef>,
    /// The working memory queries may take, when the host set one (see `memory`).
    memory: Option<Arc<datafusion::execution::runtime_env::RuntimeEnv>>,
    /// Whether `run` checks the project (plans every node) before executing anything.
    check_before_run: bool,
    /// What the last pre-run check found.
    last_check: Option<CheckReport>,
    /// What the last check found of each node, for the next check to replay.
    check_cache: check_cache::CheckCache,
    /// Problems that did not stop the run (CSV oddities, sources without sample data).
    warnings: Vec<Diagnostic>,
    /// What the current run selected, for templates' `selected_resources`.
    selected: Arc<Vec<String>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("project", &self.loaded.project.name)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Problems that did not stop loading or running: CSV oddities, sources without sample
    /// data, config dbt accepts but modelplay does not act on.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// What the check before the last run found: every node's diagnostics and lineage.
    pub fn last_check(&self) -> Option<&CheckReport> {
        self.last_check.as_ref()
    }

    /// Binds `loaded` to a fresh session; `run_time` is what `getdate()` returns.
    pub fn new(loaded: LoadedProject, run_time: NaiveDateTime) -> Result<Engine, Vec<Diagnostic>> {
        let dag = Dag::build(&loaded.project)?;
        let ctx = session(&loaded.project.target, run_time, None);
        let warnings = loaded.project.warnings.clone();
        Ok(Engine {
            loaded,
            dag,
            ctx,
            schemas: Arc::new(RwLock::new(HashMap::new())),
            run_time,
            clock: Arc::new(StoppedClock),
            compiled: HashMap::new(),
            built: HashSet::new(),
            sources_loaded: false,
            source_loads: HashMap::new(),
            releases_read_files: false,
            releases_tables: false,
            released_schemas: HashMap::new(),
            memory: None,
            check_before_run: true,
            last_check: None,
            check_cache: Default::default(),
            warnings,
            selected: Arc::default(),
        })
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Lets go of each sample file's bytes once its rows are read, and of the earlier loads
    /// of the same source, which a run that only moves forward in time never reads again.
    /// For a host that runs once and exits (the CLI): the raw files are otherwise held
    /// beside their rows for the engine's whole life. The page keeps them, for links,
    /// edits and replays in any order.
    pub fn release_sample_files_once_read(mut self) -> Self {
        self.releases_read_files = true;
        self
    }

    /// Bounds the working memory of the engine's queries, spilling past it when `limit`
    /// says so. Called on a new engine, before it runs anything: it starts a fresh session.
    pub fn with_memory_limit(mut self, limit: MemoryLimit) -> Result<Self, String> {
        self.use_runtime(limit.runtime()?);
        self.sources_loaded = false;
        self.source_loads.clear();
        self.built.clear();
        Ok(self)
    }

    /// A fresh session on `runtime`, which later sessions (checks, unit tests) share.
    fn use_runtime(&mut self, runtime: Arc<datafusion::execution::runtime_env::RuntimeEnv>) {
        self.ctx = session(
            &self.loaded.project.target,
            self.run_time,
            Some(runtime.clone()),
        );
        self.memory = Some(runtime);
    }

    pub fn project(&self) -> &crate::project::Project {
        &self.loaded.project
    }

    pub fn loaded(&self) -> &LoadedProject {
        &self.loaded
    }

    pub fn dag(&self) -> &Dag {
        &self.dag
    }

    /// The columns of a table built (or a source loaded) so far.
    pub fn table_schema(&self, relation: &Relation) -> Option<SchemaRef> {
        self.schemas
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(relation)
            .cloned()
    }

    pub fn run_time(&self) -> NaiveDateTime {
        self.run_time
    }

    /// The compiled SQL of a node from the last run, if it was compiled.
    pub fn compiled_sql(&self, unique_id: &str) -> Option<&str> {
        self.compiled.get(unique_id).map(String::as_str)
    }

    /// The nodes a request covers, in the order they would run.
    pub fn plan(&self, request: &RunRequest) -> Result<Vec<String>, Diagnostic> {
        let project = &self.loaded.project;
        let mut chosen: IndexSet<String> =
            selector::select(project, &self.dag, &request.select, &request.exclude)
                .map_err(selector_error)?;
        if matches!(request.verb, Verb::Build | Verb::Test) {
            let mut with_tests = chosen.clone();
            selector::with_attached_tests(project, &self.dag, &mut with_tests);
            if !request.exclude.is_empty() {
                let dropped = selector::select(project, &self.dag, &[], &request.exclude)
                    .map_err(selector_error)?;
                let all = selector::select(project, &self.dag, &[], &[]).map_err(selector_error)?;
                let excluded: HashSet<&String> =
                    all.iter().filter(|i| !dropped.contains(*i)).collect();
                with_tests.retain(|i| !excluded.contains(i));
            }
            chosen = with_tests;
        }
        let ordered: Vec<String> =
            self.dag
                .order(project)
                .into_iter()
                .filter(|id| chosen.contains(id))
                .filter(|id| {
                    project.nodes.get(id).is_some_and(|n| {
                        request.verb.runs(n.kind) && !n.materialization.is_ephemeral()
                    })
                })
                .collect();
        Ok(if request.verb == Verb::Build {
            units_before_their_models(project, ordered)
        } else {
            ordered
        })
    }

    fn register(
        &mut self,
        relation: &Relation,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<(), String> {
        register_table(&self.ctx, &self.schemas, relation, schema, batches)
    }

    /// Runs a request, reporting progress through `on_event`.
    pub async fn run(
        &mut self,
        request: &RunRequest,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<RunResults, Vec<Diagnostic>> {
        let started = self.clock.seconds();
        self.ensure_sources()?;
        let planned = self.plan(request).map_err(|d| vec![d])?;
        self.selected = Arc::new(planned.clone());
        // Nodes whose SQL does not plan fail here, with the check's diagnostic, and their
        // descendants are skipped, without executing anything broken.
        let prechecked: HashMap<String, Diagnostic> =
            if self.check_before_run && request.verb != Verb::Compile {
                let report = self.check().await;
                let failed = report.failed.clone();
                self.last_check = Some(report);
                failed
            } else {
                HashMap::new()
            };
        let mut results = RunResults::default();
        let runs_hooks = request.verb != Verb::Compile;
        if runs_hooks {
            self.run_project_hooks("on-run-start", None)
                .await
                .map_err(|d| vec![d])?;
        }
        // Upstream nodes outside the selection are built first, quietly, so that the
        // selection can read them: there is no warehouse holding an earlier build.
        if request.verb != Verb::Compile {
            let planned_set: HashSet<&String> = planned.iter().collect();
            let mut needed: IndexSet<String> = IndexSet::new();
            // A unit test reads fixtures, not tables: nothing needs building for it.
            let reads_tables = |id: &&String| {
                self.loaded
                    .project
                    .nodes
                    .get(*id)
                    .is_some_and(|n| n.kind != NodeKind::UnitTest)
            };
            for id in planned.iter().filter(reads_tables) {
                for a in self.dag.ancestors(id, None) {
                    let is_buildable =
                        self.loaded.project.nodes.get(&a).is_some_and(|n| {
                            !n.kind.is_test() && !n.materialization.is_ephemeral()
                        });
                    if is_buildable && !planned_set.contains(&a) && !self.built.contains(&a) {
                        needed.insert(a);
                    }
                }
            }
            let order: Vec<String> = self
                .dag
                .order(&self.loaded.project)
                .into_iter()
                .filter(|id| needed.contains(id))
                .collect();
            for id in order {
                let r = self.run_node(&id, request).await;
                if r.status != Status::Success {
                    results
                        .deferred
                        .push(format!("{} ({})", r.name, r.status.as_str()));
                } else {
                    results.deferred.push(r.name.clone());
                }
            }
        }
        let total = planned.len();
        let releases = self.releases_after(&planned);
        let mut walk = crate::dag::FailureWalk::default();
        for (i, id) in planned.iter().enumerate() {
            let Some(node) = self.loaded.project.nodes.get(id).cloned() else {
                continue;
            };
            on_event(Event::Started {
                index: i + 1,
                total,
                node: &node,
            });
            let upstream_failed = walk.blocked_by(&self.dag, id, node.kind.is_test());
            let result = match (upstream_failed, prechecked.get(id)) {
                (None, Some(d)) => self.error_result(&node, d.clone()),
                (Some(p), _) => {
                    let name = self
                        .loaded
                        .project
                        .nodes
                        .get(&p)
                        .map_or(p.clone(), |n| n.name.clone());
                    self.result(
                        &node,
                        Status::Skipped,
                        Some(format!("skipped: upstream {name} did not succeed")),
                    )
                }
                (None, None) => self.run_node(id, request).await,
            };
            if result.status.blocks_children() {
                walk.fail(id);
            }
            // dbt build: a test that fails on its own stops what is built downstream of the
            // node it tests, but not that node's other tests.
            let failed_itself = matches!(result.status, Status::Fail | Status::Error);
            if node.kind == NodeKind::Test && request.verb == Verb::Build && failed_itself {
                walk.fail_test(&self.dag, id);
            }
            // dbt build: a model whose unit test fails is not built.
            if let Some(test) = node.unit_test.as_deref()
                && request.verb == Verb::Build
                && failed_itself
            {
                walk.stop(&test.model, id);
            }
            on_event(Event::Finished {
                index: i + 1,
                total,
                result: &result,
            });
            results.results.push(result);
            for table in releases.get(i).into_iter().flatten() {
                self.release_table(table);
            }
        }
        if runs_hooks
            && let Err(d) = self
                .run_project_hooks("on-run-end", Some(&results.results))
                .await
        {
            results.hook_errors.push(d);
        }
        results.elapsed_time = self.clock.seconds() - started;
        Ok(results)
    }

    fn result(&self, node: &Node, status: Status, message: Option<String>) -> NodeResult {
        NodeResult {
            unique_id: node.unique_id.clone(),
            name: node.name.clone(),
            kind: node.kind,
            materialized: node.materialized(),
            relation: node.relation.short(),
            status,
            rows: None,
            failures: None,
            message,
            diagnostic: None,
            failing_rows: Vec::new(),
            unit_diff: None,
            execution_time: 0.0,
            compiled_sql: self.compiled.get(&node.unique_id).cloned(),
        }
    }

    fn error_result(&self, node: &Node, d: Diagnostic) -> NodeResult {
        let mut r = self.result(node, Status::Error, Some(format!("{d:#}")));
        r.diagnostic = Some(d);
        r
    }

    async fn run_node(&mut self, id: &str, request: &RunRequest) -> NodeResult {
        let Some(node) = self.loaded.project.nodes.get(id).cloned() else {
            return NodeResult {
                unique_id: id.to_string(),
                name: id.to_string(),
                kind: NodeKind::Model,
                materialized: crate::project::Materialized::Invalid,
                relation: String::new(),
                status: Status::Error,
                rows: None,
                failures: None,
                message: Some(format!("no node {id}")),
                diagnostic: None,
                failing_rows: Vec::new(),
                unit_diff: None,
                execution_time: 0.0,
                compiled_sql: None,
            };
        };
        if node.kind == NodeKind::UnitTest {
            return self.unit_test_result(&node).await;
        }
        // A file that did not render, or a config dbt would reject, fails its node there.
        if let Some(first) = node
            .parse_error
            .as_ref()
            .or(node.materialization.problems().first())
        {
            return self.error_result(&node, first.clone());
        }
        let start = self.clock.seconds();
        let outcome = match node.kind {
            NodeKind::Seed => self
                .run_seed_with_hooks(&node)
                .await
                .map(|rows| (rows, None, Vec::new())),
            _ if request.verb == Verb::Compile => {
                self.compile_only(&node).map(|_| (0, None, Vec::new()))
            }
            NodeKind::Model | NodeKind::Snapshot => self
                .run_model(&node, request)
                .await
                .map(|rows| (rows, None, Vec::new())),
            NodeKind::Test => self
                .run_test(&node)
                .await
                .map(|(failures, rows)| (0, Some(failures), rows)),
            NodeKind::Source | NodeKind::UnitTest => Ok((0, None, Vec::new())),
        };
        let mut result = match outcome {
            Ok((rows, failures, failing_rows)) => {
                let status = match (failures, node.materialization.test()) {
                    (Some(f), Some(test)) => match test.status(f) {
                        TestOutcome::Pass => Status::Pass,
                        TestOutcome::Warn => Status::Warn,
                        TestOutcome::Fail => Status::Fail,
                    },
                    _ => Status::Success,
                };
                let mut r = self.result(&node, status, None);
                r.rows = failures.is_none().then_some(rows);
                r.failures = failures;
                r.failing_rows = failing_rows;
                r
            }
            Err(d) => self.error_result(&node, d),
        };
        result.compiled_sql = self.compiled.get(id).cloned();
        result.execution_time = self.clock.seconds() - start;
        result
    }

    /// A seed's rows, with the types dbt infers (or `column_types` gives), and warnings.
    fn read_seed(&self, node: &Node) -> Result<(RecordBatch, Vec<Diagnostic>), Diagnostic> {
        let bytes = self
            .loaded
            .project
            .files
            .get(&node.path)
            .unwrap_or_default();
        let Some(seed) = node.materialization.seed() else {
            return Err(Diagnostic::error(
                Code::Selector,
                node.location.clone(),
                format!("`{}` is not a seed", node.name),
            ));
        };
        let mut types: HashMap<String, DataType> = HashMap::new();
        for (column, declared) in &seed.column_types {
            match typed::arrow_type(declared) {
                Some(t) => {
                    types.insert(column.clone(), t);
                }
                None => {
                    let at = seed
                        .column_types_at
                        .clone()
                        .unwrap_or_else(|| Location::file(&node.path));
                    let text = self.file_text(&at.file);
                    return Err(Diagnostic::error(Code::Config,
                        at,
                        format!("modelplay cannot load seed column `{column}` as `{declared}`"),
                    )
                    .with_source(&text)
                    .with_hint("use a Redshift type such as varchar(20), integer, numeric(10,2), date or timestamp"));
                }
            }
        }
        let delimiter = seed.delimiter;
        typed::read_csv(
            &node.path,
            bytes,
            delimiter,
            &|name| types.get(name).cloned(),
            true,
            None,
        )
    }

    async fn run_seed_with_hooks(&mut self, node: &Node) -> Result<u64, Diagnostic> {
        self.run_node_hooks(node, "pre-hook", false).await?;
        let rows = self.run_seed(node)?;
        self.run_node_hooks(node, "post-hook", false).await?;
        Ok(rows)
    }

    fn run_seed(&mut self, node: &Node) -> Result<u64, Diagnostic> {
        let (batch, warnings) = self.read_seed(node)?;
        self.warnings.extend(warnings);
        let rows = batch.num_rows() as u64;
        self.register(&node.relation, batch.schema(), vec![batch])
            .map_err(|e| Diagnostic::error(Code::Data, Location::file(&node.path), e))?;
        self.built.insert(node.unique_id.clone());
        Ok(rows)
    }

    fn file_text(&self, path: &str) -> String {
        self.loaded.project.files.text(path).unwrap_or_default()
    }

    fn resolver(&self) -> Arc<CompileResolver> {
        Arc::new(
            CompileResolver::new(&self.loaded.project, self.schemas.clone())
                .with_session(self.ctx.clone())
                .with_selection(self.selected.clone()),
        )
    }

    fn compile(&self, node: &Node) -> Result<Compiled, Diagnostic> {
        self.compile_as(node, false)
    }

    fn compile_as(&self, node: &Node, is_incremental: bool) -> Result<Compiled, Diagnostic> {
        self.compile_with(node, self.resolver(), is_incremental)
    }

    fn compile_with(
        &self,
        node: &Node,
        resolver: Arc<CompileResolver>,
        is_incremental: bool,
    ) -> Result<Compiled, Diagnostic> {
        let run_started_at = format_timestamp(&self.run_time);
        compile::compile_node(
            &self.loaded,
            node,
            resolver,
            &run_started_at,
            is_incremental,
        )
    }

    fn compile_only(&mut self, node: &Node) -> Result<(), Diagnostic> {
        let sql = self.compile_sql(&node.unique_id, false)?;
        self.compiled.insert(node.unique_id.clone(), sql);
        Ok(())
    }

    /// Parses the node's SQL and injects the ephemeral models it reads as CTEs, as dbt
    /// does: the query to run, and the compiled text (the CTEs written in front of the
    /// node's own SQL, merged into its WITH clause) to show and export.
    fn query_with_ephemerals(
        &self,
        compiled: &Compiled,
        origin: &Origin,
    ) -> Result<(Box<Query>, String), Diagnostic> {
        self.query_with_ephemerals_using(compiled, origin, self.resolver())
    }

    fn query_with_ephemerals_using(
        &self,
        compiled: &Compiled,
        origin: &Origin,
        resolver: Arc<CompileResolver>,
    ) -> Result<(Box<Query>, String), Diagnostic> {
        let mut query = execute::parse_query(&compiled.rendered.sql, origin)?;
        let mut ctes: Vec<(String, Box<Query>, String)> = Vec::new();
        let mut pending: Vec<String> = compiled.ephemerals.clone();
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(name) = pending.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(eph) = self
                .loaded
                .project
                .node_by_name(NodeKind::Model, &name)
                .cloned()
            else {
                continue;
            };
            let c = self.compile_with(&eph, resolver.clone(), false)?;
            let text = self.file_text(&eph.path);
            let o = Origin {
                file: &eph.path,
                file_text: &text,
                compiled: &c,
                templates: &self.loaded.templates,
            };
            let q = execute::parse_query(&c.rendered.sql, &o)?;
            // Deeper ephemerals are found later and go first, before what reads them.
            ctes.insert(0, (name, q, c.rendered.sql.clone()));
            pending.extend(c.ephemerals.iter().cloned());
        }
        let text_ctes: Vec<(String, String)> = ctes
            .iter()
            .map(|(n, _, sql)| (n.clone(), sql.clone()))
            .collect();
        let text = execute::inject_ctes_text(&compiled.rendered.sql, &query, &text_ctes);
        execute::inject_ctes(
            &mut query,
            ctes.into_iter().map(|(n, q, _)| (n, q)).collect(),
        );
        Ok((query, text))
    }

    async fn run_model(&mut self, node: &Node, request: &RunRequest) -> Result<u64, Diagnostic> {
        let is_incremental = self.is_incremental(node, request);
        let compiled = self.compile_as(node, is_incremental)?;
        self.run_node_hooks(node, "pre-hook", is_incremental)
            .await?;
        let file_text = self.file_text(&node.path);
        let origin = Origin {
            file: &node.path,
            file_text: &file_text,
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        let (query, sql) = self.query_with_ephemerals(&compiled, &origin)?;
        self.compiled.insert(node.unique_id.clone(), sql);
        let query = contract::assignment_casts(node, &query).unwrap_or(query);
        let at = |e: String| Diagnostic::error(Code::Runtime, Location::file(&node.path), e);
        // Snapshots and incremental runs merge with the existing table; a plain
        // build registers DataFusion's batches as they come.
        let (schema, batches) = if node.kind == NodeKind::Snapshot {
            let Some(config) = node.materialization.snapshot() else {
                return Err(at("the snapshot's config could not be read".into()));
            };
            let mut staging = parse_internal(&config.staging_select(), node)?;
            if let Some(with) = &mut staging.with
                && let Some(cte) = with.cte_tables.first_mut()
            {
                cte.query = query;
            }
            let staged = self.execute_batch(staging, &origin).await?;
            let existing = if self.exists(&node.relation) {
                let sql = config.existing_select(&node.relation.to_string());
                let q = parse_internal(&sql, node)?;
                Some(self.execute_batch(q, &origin).await?)
            } else {
                None
            };
            let merged =
                snapshot::merge(config, &staged, existing.as_ref(), self.run_time).map_err(at)?;
            (merged.schema(), vec![merged])
        } else if let Some(mb) = node
            .materialization
            .incremental()
            .and_then(|i| i.microbatch.clone())
        {
            self.run_batches(node, &mb, self.is_incremental(node, request))
                .await?
        } else if let Some(config) = node
            .materialization
            .incremental()
            .filter(|_| self.is_incremental(node, request))
        {
            let new = self.execute_batch(query, &origin).await?;
            let sql = format!("select * from {}", node.relation);
            let existing = self
                .execute_batch(parse_internal(&sql, node)?, &origin)
                .await?;
            if !config.predicates.is_empty() {
                // The export writes them; the sample's merge does not apply them.
                let at = node
                    .config
                    .at("incremental_predicates")
                    .cloned()
                    .unwrap_or_else(|| Location::file(&node.path));
                let warning = Diagnostic::warning(
                    Code::Unsupported,
                    at.clone(),
                    format!(
                        "the incremental_predicates of `{}` are not applied to the sample data: every row of the table can match; the export applies them",
                        node.name
                    ),
                )
                .with_source(&self.file_text(&at.file));
                if !self.warnings.contains(&warning) {
                    self.warnings.push(warning);
                }
            }
            let merged = incremental::merge(config, &existing, &new).map_err(|m| {
                Diagnostic::error(Code::Runtime, Location::file(&node.path), m)
                    .with_source(&file_text)
            })?;
            (merged.schema(), vec![merged])
        } else {
            self.execute_batches(query, &origin).await?
        };
        let files = &self.loaded.project.files;
        if let Some(d) = contract::not_null_violations(node, &schema, &batches, &|f| {
            files.text(f).unwrap_or_default()
        }) {
            return Err(d);
        }
        let rows = batches.iter().map(|b| b.num_rows() as u64).sum();
        self.register(&node.relation, schema, batches).map_err(at)?;
        self.built.insert(node.unique_id.clone());
        self.run_node_hooks(node, "post-hook", is_incremental)
            .await?;
        Ok(rows)
    }

    /// A microbatch model's run: batch after batch, each compiled with what it reads cut
    /// to its window, its rows replacing the table's rows in that window.
    async fn run_batches(
        &mut self,
        node: &Node,
        mb: &crate::project::microbatch::Microbatch,
        incremental: bool,
    ) -> Result<(SchemaRef, Vec<RecordBatch>), Diagnostic> {
        let at = |e: String| {
            let at = node
                .config
                .at("event_time")
                .cloned()
                .unwrap_or_else(|| Location::file(&node.path));
            Diagnostic::error(Code::Runtime, at, e)
        };
        let file_text = self.file_text(&node.path);
        let mut table: Option<(SchemaRef, Vec<RecordBatch>)> = if incremental {
            let sql = format!("select * from {}", node.relation);
            let compiled = self.compile_as(node, true)?;
            let origin = Origin {
                file: &node.path,
                file_text: &file_text,
                compiled: &compiled,
                templates: &self.loaded.templates,
            };
            Some(
                self.execute_batches(parse_internal(&sql, node)?, &origin)
                    .await?,
            )
        } else {
            None
        };
        for batch in mb.batches(self.run_time, incremental) {
            let resolver = Arc::new(
                CompileResolver::new(&self.loaded.project, self.schemas.clone())
                    .with_session(self.ctx.clone())
                    .with_selection(self.selected.clone())
                    .with_batch(&self.loaded.project, &batch),
            );
            // After the first batch of a first run, the table is there: is_incremental().
            let compiled = self.compile_with(node, resolver.clone(), table.is_some())?;
            let origin = Origin {
                file: &node.path,
                file_text: &file_text,
                compiled: &compiled,
                templates: &self.loaded.templates,
            };
            let (query, sql) = self.query_with_ephemerals_using(&compiled, &origin, resolver)?;
            self.compiled.insert(node.unique_id.clone(), sql);
            let query = contract::assignment_casts(node, &query).unwrap_or(query);
            let (schema, rows) = self.execute_batches(query, &origin).await?;
            table = Some(match table {
                None => microbatch::conform(&schema, rows).map_err(at)?,
                Some((schema, old)) => {
                    let mut kept =
                        microbatch::outside(&old, &schema, &mb.event_time, &batch).map_err(at)?;
                    let (schema, new) = microbatch::conform(&schema, rows).map_err(at)?;
                    kept.extend(new);
                    (schema, kept)
                }
            });
        }
        table.ok_or_else(|| {
            Diagnostic::error(
                Code::Config,
                node.config
                    .at("begin")
                    .cloned()
                    .unwrap_or_else(|| Location::file(&node.path)),
                format!(
                    "`{}` has no batch to build: its `begin` is after the run's time",
                    node.name
                ),
            )
        })
    }

    fn exists(&self, relation: &Relation) -> bool {
        self.schemas
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(relation)
    }

    /// dbt's `is_incremental()`: an incremental model whose table exists, outside a full
    /// refresh (the model's own `full_refresh` config wins over the flag).
    fn is_incremental(&self, node: &Node, request: &RunRequest) -> bool {
        node.materialization.incremental().is_some_and(|inc| {
            !inc.full_refresh.unwrap_or(request.full_refresh) && self.exists(&node.relation)
        })
    }

    /// Plans and runs a query, returning its batches under unqualified column names.
    async fn execute_batches(
        &self,
        query: Box<Query>,
        origin: &Origin<'_>,
    ) -> Result<(SchemaRef, Vec<RecordBatch>), Diagnostic> {
        let plan = execute::plan(&self.ctx, query, origin).await?;
        let batches = execute::collect(&self.ctx, plan.clone(), origin).await?;
        let schema = match batches.first() {
            Some(b) => b.schema(),
            // No rows: the types the query runs with, which come from type coercion; the
            // planner's own schema comes before it.
            None => {
                let coerced = self.ctx.state().optimize(&plan);
                let schema = coerced.as_ref().map_or(plan.schema(), |p| p.schema());
                Arc::new(schema.as_arrow().clone())
            }
        };
        let schema = unqualified(schema);
        let batches = batches
            .into_iter()
            .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                Diagnostic::error(Code::Runtime, Location::file(origin.file), e.to_string())
            })?;
        Ok((schema, batches))
    }

    /// A query's result as one batch, for the merges of snapshots and incremental models.
    async fn execute_batch(
        &self,
        query: Box<Query>,
        origin: &Origin<'_>,
    ) -> Result<RecordBatch, Diagnostic> {
        let (schema, batches) = self.execute_batches(query, origin).await?;
        datafusion::arrow::compute::concat_batches(&schema, &batches).map_err(|e| {
            Diagnostic::error(Code::Runtime, Location::file(origin.file), e.to_string())
        })
    }

    async fn run_test(&mut self, node: &Node) -> Result<(u64, Vec<RecordBatch>), Diagnostic> {
        let outcome = self.run_test_sql(node).await;
        match (&node.generic_test, outcome) {
            // A generic test's SQL is ours, not the user's: point at the YAML that asked for it.
            (Some(test), Err(d)) if d.location.file != node.path || d.location.line == 0 => {
                let text = self.file_text(&node.path);
                Err(Diagnostic::error(
                    Code::Test,
                    node.location.clone(),
                    format!("test `{}`: {}", test.test_name, d.message),
                )
                .with_source(&text)
                .with_hint("check the column and the arguments this test names"))
            }
            (_, outcome) => outcome,
        }
    }

    async fn run_test_sql(&mut self, node: &Node) -> Result<(u64, Vec<RecordBatch>), Diagnostic> {
        let compiled = self.compile(node)?;
        let file_text = self.file_text(&node.path);
        let origin = Origin {
            file: &node.path,
            file_text: &file_text,
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        let (query, sql) = self.query_with_ephemerals(&compiled, &origin)?;
        self.compiled.insert(node.unique_id.clone(), sql);
        let counted = node
            .materialization
            .test()
            .and_then(|t| t.fail_calc.as_deref())
            .map(|calc| execute::fail_calc_query(calc, query.clone(), &origin))
            .transpose()?;
        let plan = execute::plan(&self.ctx, query, &origin).await?;
        let batches = execute::collect(&self.ctx, plan, &origin).await?;
        let mut failures: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
        if let Some(counted) = counted {
            let plan = execute::plan(&self.ctx, counted, &origin).await?;
            let rows = execute::collect(&self.ctx, plan, &origin).await?;
            failures = tables::first_count(&rows);
        }
        let limit = node
            .config
            .get("limit")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(500) as usize;
        let mut kept = Vec::new();
        let mut left = limit;
        for b in batches {
            if left == 0 {
                break;
            }
            let take = b.num_rows().min(left);
            kept.push(b.slice(0, take));
            left -= take;
        }
        Ok((failures, kept))
    }
}

/// `planned` with each unit test moved in front of the model it tests, as dbt build runs
/// them: a model whose unit test fails is not built.
fn units_before_their_models(
    project: &crate::project::Project,
    planned: Vec<String>,
) -> Vec<String> {
    let model_of = |id: &String| {
        project
            .nodes
            .get(id)
            .and_then(|n| n.unit_test.as_deref())
            .map(|t| t.model.clone())
    };
    let (units, rest): (Vec<String>, Vec<String>) =
        planned.into_iter().partition(|id| model_of(id).is_some());
    let mut out = Vec::with_capacity(units.len() + rest.len());
    let mut placed = HashSet::new();
    for id in rest {
        for u in units.iter().filter(|u| model_of(u).as_ref() == Some(&id)) {
            placed.insert(u.clone());
            out.push(u.clone());
        }
        out.push(id);
    }
    // A unit test whose model is not built here runs where the order had it.
    out.extend(units.into_iter().filter(|u| !placed.contains(u)));
    out
}

/// Parses SQL the engine writes itself (from a node's config), naming the node on failure.
fn parse_internal(sql: &str, node: &Node) -> Result<Box<Query>, Diagnostic> {
    let parsed = datafusion::sql::sqlparser::parser::Parser::parse_sql(
        &crate::redshift::dialect::RedshiftDialect,
        sql,
    );
    match parsed.map(|mut s| s.pop()) {
        Ok(Some(Statement::Query(q))) => Ok(q),
        Ok(_) => Err(Diagnostic::error(
            Code::Config,
            Location::file(&node.path),
            "the config produced no query",
        )),
        Err(e) => Err(Diagnostic::error(
            Code::Config,
            Location::file(&node.path),
            format!("the config does not make valid SQL: {e}"),
        )
        .with_hint("check unique_key, updated_at and dbt_valid_to_current")),
    }
}

/// Output columns without table qualifiers, as a warehouse table has them.
fn unqualified(schema: SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| Field::new(f.name().to_lowercase(), f.data_type().clone(), true))
        .collect();
    Arc::new(Schema::new(fields))
}

/// A `--select` / `--exclude` expression that does not parse or picks nothing.
pub(crate) fn selector_error(message: String) -> Diagnostic {
    Diagnostic::error(Code::Selector, Location::option("--select"), message)
}
