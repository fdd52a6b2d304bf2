//! What a template sees while it renders: the node, the phase, and how names resolve.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use indexmap::IndexMap;
use minijinja::value::{Object, Value};
use serde_json::Value as Json;

use crate::project::{Config, Target};
use crate::relation::{Relation, RelationValue};

/// dbt renders every file twice: once to learn its refs and configs, once with real names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Parse,
    Compile,
}

/// How `ref`, `source` and `adapter.get_columns_in_relation` are answered.
pub trait Resolve: Send + Sync + fmt::Debug {
    /// `ref(name)` or `ref(package, name)` as a node of package `from` means it.
    fn resolve_ref(
        &self,
        from: &str,
        package: Option<&str>,
        name: &str,
    ) -> Result<RelationValue, String>;
    /// `source(source, table)` as a node of package `from` means it.
    fn resolve_source(
        &self,
        from: &str,
        source: &str,
        table: &str,
    ) -> Result<RelationValue, String>;
    /// Column names and Redshift type names of a relation that has been built.
    fn columns(&self, relation: &Relation) -> Option<Vec<(String, String)>>;
    /// Runs `sql` on the engine, which here is the warehouse (`run_query`, `statement`).
    fn run_query(&self, _sql: &str) -> Result<QueryTable, String> {
        Err("there is nothing to run queries on while the project is parsed".into())
    }
    /// dbt's `selected_resources`: the unique ids the invocation selected (none while the
    /// project is parsed, as in dbt).
    fn selected_resources(&self) -> Arc<Vec<String>> {
        Arc::default()
    }
}

/// What a query run from a template returned: dbt's `agate` table, as plain values.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct QueryTable {
    pub column_names: Vec<String>,
    pub rows: Vec<Vec<Json>>,
}

/// The parse phase's answers: names that look right but point nowhere yet.
#[derive(Debug)]
pub struct ParseResolver {
    pub target: Target,
}

impl Resolve for ParseResolver {
    fn resolve_ref(
        &self,
        _from: &str,
        _package: Option<&str>,
        name: &str,
    ) -> Result<RelationValue, String> {
        Ok(RelationValue::plain(Relation::new(
            &self.target.database,
            &self.target.schema,
            name,
        )))
    }

    fn resolve_source(
        &self,
        _from: &str,
        source: &str,
        table: &str,
    ) -> Result<RelationValue, String> {
        Ok(RelationValue::plain(Relation::new(
            &self.target.database,
            source,
            table,
        )))
    }

    fn columns(&self, _relation: &Relation) -> Option<Vec<(String, String)>> {
        None
    }
}

/// A `ref(...)` call seen while rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefCall {
    pub package: Option<String>,
    pub name: String,
}

/// What rendering a file revealed about it.
#[derive(Debug, Default, Clone)]
pub struct Recorded {
    pub refs: Vec<RefCall>,
    pub sources: Vec<(String, String)>,
    pub config: Config,
    pub logs: Vec<String>,
    /// Relations that rendered as ephemeral CTE names.
    pub ephemerals: Vec<String>,
    /// Relations passed through `ref`/`source` in this render (test `to:` targets included).
    pub relations: Vec<Relation>,
    /// What each named `{% call statement(name, fetch_result=True) %}` returned, for
    /// `load_result(name)`.
    pub statements: Vec<(String, QueryTable)>,
    /// Whether the render ran a query (`run_query`, `statement`): its SQL then depends on
    /// what the tables held.
    pub queried: bool,
}

/// The per-render context object, reachable from every function through the template state.
#[derive(Debug)]
pub struct RenderCtx {
    pub phase: Phase,
    pub node_name: String,
    /// The project or package the render belongs to: where `ref` looks first after the
    /// root project. Empty for the root project.
    pub package: String,
    pub this: Option<RelationValue>,
    /// The node's merged config (at compile time), for `config.get`.
    pub config: Config,
    pub vars: Arc<IndexMap<String, Json>>,
    pub env_vars: Arc<IndexMap<String, String>>,
    pub target: Arc<Target>,
    pub resolver: Arc<dyn Resolve>,
    pub is_incremental: bool,
    pub run_started_at: String,
    /// dbt's `graph` (empty while the project is parsed, as in dbt before `execute`).
    pub graph: Value,
    /// Variables only some renders have: `results` and `schemas` in `on-run-end`.
    pub extra: Option<Value>,
    /// Macros a unit test overrides, by the name it gives them (`current_timestamp`,
    /// `dbt_utils.current_timestamp`): each call returns the value instead.
    pub macro_overrides: Arc<IndexMap<String, Value>>,
    pub recorded: Mutex<Recorded>,
    pub(crate) returned: Mutex<Option<Value>>,
}

impl RenderCtx {
    pub fn new(phase: Phase, node_name: &str, resolver: Arc<dyn Resolve>) -> Self {
        RenderCtx {
            phase,
            node_name: node_name.to_string(),
            package: String::new(),
            this: None,
            config: Config::default(),
            vars: Arc::default(),
            env_vars: Arc::default(),
            target: Arc::default(),
            resolver,
            is_incremental: false,
            run_started_at: String::new(),
            graph: crate::jinja::to_value(&serde_json::json!({"nodes": {}, "sources": {}})),
            extra: None,
            macro_overrides: Arc::default(),
            recorded: Mutex::new(Recorded::default()),
            returned: Mutex::new(None),
        }
    }

    pub fn record(&self) -> MutexGuard<'_, Recorded> {
        // A poisoned lock only means an earlier render panicked; its data is still usable.
        self.recorded.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn take_recorded(&self) -> Recorded {
        std::mem::take(&mut *self.record())
    }

    pub(crate) fn returned(&self) -> MutexGuard<'_, Option<Value>> {
        self.returned.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Object for RenderCtx {}
