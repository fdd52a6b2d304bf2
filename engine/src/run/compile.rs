//! dbt's compile phase: render each node's Jinja with real relation names.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use datafusion::arrow::datatypes::SchemaRef;
use indexmap::IndexMap;
use minijinja::value::Value;
use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::jinja::{Phase, RenderCtx, Rendered, Resolve};
use crate::project::load::LoadedProject;
use crate::project::lookup::ByPackage;
use crate::project::{Node, Project};
use crate::redshift::types::redshift_type;
use crate::relation::{Relation, RelationValue};

/// The schemas of the relations built so far, shared between the executor and templates.
pub type Schemas = Arc<RwLock<HashMap<Relation, SchemaRef>>>;

/// Answers `ref` and `source` with the names the project builds into.
pub struct CompileResolver {
    refs: ByPackage<RelationValue>,
    /// By package and `source.table`.
    sources: ByPackage<RelationValue>,
    schemas: Schemas,
    /// The session `run_query` runs in: the build's, or the check's (whose tables are empty).
    session: Option<datafusion::prelude::SessionContext>,
    selected: Arc<Vec<String>>,
    /// A microbatch model's batch: what it reads is cut to the batch's window.
    batch: Option<EventTimeFilter>,
    /// Where the statements a template runs for their effect (an `insert` in a hook's
    /// `statement` call) are written down, for an export that must run them too.
    captured: Option<Captured>,
}

/// Statements run by templates for their effect, in the order they ran.
pub type Captured = Arc<std::sync::Mutex<Vec<String>>>;

/// The window of one microbatch batch, and the event-time column of every relation that
/// declares one (`event_time` in its config): a `ref` to such a relation reads only the
/// window's rows, as dbt renders it.
#[derive(Debug, Clone)]
struct EventTimeFilter {
    start: String,
    end: String,
    columns: HashMap<Relation, String>,
}

impl std::fmt::Debug for CompileResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileResolver")
            .field("can_run_queries", &self.session.is_some())
            .finish_non_exhaustive()
    }
}

impl CompileResolver {
    pub fn new(project: &Project, schemas: Schemas) -> Self {
        let refs = ByPackage::refs(project, |n| {
            if n.materialization.is_ephemeral() {
                RelationValue {
                    relation: n.relation.clone(),
                    rendered: format!("__dbt__cte__{}", n.name),
                }
            } else {
                RelationValue::plain(n.relation.clone())
            }
        });
        let sources = ByPackage::sources(project, |s| RelationValue::plain(s.relation.clone()));
        CompileResolver {
            refs,
            sources,
            schemas,
            session: None,
            selected: Arc::default(),
            batch: None,
            captured: None,
        }
    }

    /// Writes down into `captured` every statement a template runs that is not a query.
    pub fn with_capture(mut self, captured: Captured) -> Self {
        self.captured = Some(captured);
        self
    }

    /// Cuts every input that declares an `event_time` to `batch`'s window.
    pub fn with_batch(
        mut self,
        project: &Project,
        batch: &crate::project::microbatch::Batch,
    ) -> Self {
        let columns = project
            .nodes
            .values()
            .filter(|n| !n.materialization.is_ephemeral())
            .filter_map(|n| {
                let column = n.config.get("event_time")?.as_str()?.trim().to_string();
                Some((n.relation.clone(), column))
            })
            .collect();
        self.batch = Some(EventTimeFilter {
            start: crate::project::microbatch::boundary(batch.start),
            end: crate::project::microbatch::boundary(batch.end),
            columns,
        });
        self
    }

    /// `value` cut to the batch's window, when there is a batch and it declares an event time.
    fn in_batch(&self, value: RelationValue) -> RelationValue {
        let Some(filter) = &self.batch else {
            return value;
        };
        let Some(column) = filter.columns.get(&value.relation) else {
            return value;
        };
        let rendered = format!(
            "(select * from {} where {column} >= '{}' and {column} < '{}') _dbt_et_filter_subq_{}",
            value.rendered, filter.start, filter.end, value.relation.identifier
        );
        RelationValue {
            relation: value.relation,
            rendered,
        }
    }

    /// What the run selected, for `selected_resources`.
    pub fn with_selection(mut self, selected: Arc<Vec<String>>) -> Self {
        self.selected = selected;
        self
    }

    /// Lets templates run queries (`run_query`, `statement`) in `session`.
    pub fn with_session(mut self, session: datafusion::prelude::SessionContext) -> Self {
        self.session = Some(session);
        self
    }
}

impl Resolve for CompileResolver {
    fn resolve_ref(
        &self,
        from: &str,
        package: Option<&str>,
        name: &str,
    ) -> Result<RelationValue, String> {
        self.refs
            .find(from, package, name)
            .cloned()
            .map(|v| self.in_batch(v))
            .ok_or_else(|| match package {
                Some(p) => format!("ref('{p}', '{name}') names no model, seed or snapshot"),
                None => format!("ref('{name}') names no model, seed or snapshot"),
            })
    }

    fn resolve_source(
        &self,
        from: &str,
        source: &str,
        table: &str,
    ) -> Result<RelationValue, String> {
        self.sources
            .find_source(from, source, table)
            .cloned()
            .ok_or_else(|| format!("source('{source}', '{table}') is not declared"))
    }

    fn columns(&self, relation: &Relation) -> Option<Vec<(String, String)>> {
        let schemas = self.schemas.read().unwrap_or_else(|e| e.into_inner());
        schemas.get(relation).map(|s| {
            s.fields()
                .iter()
                .map(|f| (f.name().clone(), redshift_type(f.data_type())))
                .collect()
        })
    }

    fn run_query(&self, sql: &str) -> Result<crate::jinja::QueryTable, String> {
        let session = self
            .session
            .as_ref()
            .ok_or("run_query() has no session to run in here")?;
        if let Some(captured) = &self.captured {
            let head = sql.trim_start().to_lowercase();
            let read = ["select", "with", "show", "values", "("]
                .iter()
                .any(|k| head.starts_with(k));
            if !read {
                captured
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(sql.trim().to_string());
            }
        }
        super::template_query::run(session, sql)
    }

    fn selected_resources(&self) -> Arc<Vec<String>> {
        self.selected.clone()
    }
}

/// A node's SQL after Jinja, with the ephemeral models it reads.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub rendered: Rendered,
    /// The text the render started from (padded for snapshot blocks), to locate errors.
    pub template_source: String,
    pub ephemerals: Vec<String>,
    pub logs: Vec<String>,
    /// Whether its templates ran queries, so that its SQL depends on what tables held.
    pub queried: bool,
}

/// The compile phase's context for a render that belongs to no node (`on-run-start`,
/// `on-run-end`): the vars of `package` (the project or package that declares it), the
/// environment, target, run time and graph.
pub fn project_render_ctx(
    loaded: &LoadedProject,
    package: &str,
    name: &str,
    resolver: Arc<dyn Resolve>,
    run_started_at: &str,
) -> RenderCtx {
    let project = &loaded.project;
    let mut ctx = RenderCtx::new(Phase::Compile, name, resolver);
    ctx.package = package.to_string();
    ctx.vars = Arc::new(project.vars_of(package).clone());
    ctx.env_vars = Arc::new(project.env.clone());
    ctx.target = Arc::new(project.target.clone());
    ctx.run_started_at = run_started_at.to_string();
    ctx.graph = loaded.graph.clone();
    ctx
}

pub fn render_ctx(
    loaded: &LoadedProject,
    node: &Node,
    resolver: Arc<dyn Resolve>,
    run_started_at: &str,
    is_incremental: bool,
) -> Arc<RenderCtx> {
    let mut ctx = project_render_ctx(
        loaded,
        &node.package_name,
        &node.name,
        resolver,
        run_started_at,
    );
    ctx.this = Some(RelationValue::plain(node.relation.clone()));
    ctx.config = node.config.clone();
    ctx.is_incremental = is_incremental;
    Arc::new(ctx)
}

/// Renders `node` in the compile phase.
pub fn compile_node(
    loaded: &LoadedProject,
    node: &Node,
    resolver: Arc<dyn Resolve>,
    run_started_at: &str,
    is_incremental: bool,
) -> Result<Compiled, Diagnostic> {
    let ctx = render_ctx(loaded, node, resolver, run_started_at, is_incremental);
    compile_with_ctx(loaded, node, &ctx)
}

/// Renders `node` in the compile phase with a context made for it (a unit test's, whose
/// refs name fixtures).
pub fn compile_with_ctx(
    loaded: &LoadedProject,
    node: &Node,
    ctx: &Arc<RenderCtx>,
) -> Result<Compiled, Diagnostic> {
    let project = &loaded.project;
    let (rendered, template_source) = match &node.generic_test {
        Some(test) => (
            compile_generic_test(loaded, node, test, ctx)?,
            String::new(),
        ),
        None => {
            // The source as rendered: set literals become mutable, on the same lines.
            let source = crate::jinja::mutable_source(&crate::project::load::pad_to(
                &node.raw_sql,
                node.raw_start,
            ));
            let rendered = loaded
                .templates
                .render(&node.path, &source, ctx)
                .map_err(|d| {
                    if d.location.file == node.path {
                        d.with_source(&project.files.text(&node.path).unwrap_or_default())
                    } else {
                        d
                    }
                })?;
            (rendered, source)
        }
    };
    let rec = ctx.take_recorded();
    let mut ephemerals = Vec::new();
    for e in rec.ephemerals {
        if !ephemerals.contains(&e) {
            ephemerals.push(e);
        }
    }
    Ok(Compiled {
        rendered,
        template_source,
        ephemerals,
        logs: rec.logs,
        queried: rec.queried,
    })
}

fn json_to_value(
    loaded: &LoadedProject,
    ctx: &Arc<RenderCtx>,
    value: &Json,
) -> Result<Value, String> {
    match value {
        Json::String(s) => {
            let t = s.trim();
            if (t.starts_with("ref(") || t.starts_with("source(")) && t.ends_with(')') {
                loaded.templates.eval(t, ctx)
            } else if s.contains("{{") {
                let rendered = loaded
                    .templates
                    .render("<test argument>", s, ctx)
                    .map_err(|d| d.message)?;
                Ok(Value::from(rendered.sql))
            } else {
                Ok(Value::from(s.clone()))
            }
        }
        other => Ok(crate::jinja::to_value(other)),
    }
}

fn compile_generic_test(
    loaded: &LoadedProject,
    node: &Node,
    test: &crate::project::GenericTest,
    ctx: &Arc<RenderCtx>,
) -> Result<Rendered, Diagnostic> {
    let project = &loaded.project;
    let fail = |message: String| {
        Diagnostic::error(Code::Test, node.location.clone(), message)
            .with_source(&project.files.text(&node.path).unwrap_or_default())
    };
    let attached = project
        .relation_of(&test.attached_to)
        .cloned()
        .ok_or_else(|| fail(format!("the tested node {} is missing", test.attached_to)))?;
    let attached_node = project.nodes.get(&test.attached_to);
    let filter = node
        .materialization
        .test()
        .and_then(|t| t.filter.as_deref());
    let rendered = match filter {
        Some(filter) => format!("(select * from {attached} where {filter}) dbt_subquery"),
        None => match attached_node {
            Some(n) if n.materialization.is_ephemeral() => format!("__dbt__cte__{}", n.name),
            _ => attached.to_string(),
        },
    };
    if let Some(n) = attached_node.filter(|n| n.materialization.is_ephemeral()) {
        ctx.record().ephemerals.push(n.name.clone());
    }
    let model = RelationValue {
        relation: attached,
        rendered,
    };
    let mut kwargs: Vec<(String, Value)> = vec![("model".into(), model.into_value())];
    for (k, v) in &test.kwargs {
        kwargs.push((k.clone(), json_to_value(loaded, ctx, v).map_err(&fail)?));
    }
    let macro_name = format!("test_{}", test.test_name);
    loaded
        .templates
        .call_package_macro(test.namespace.as_deref(), &macro_name, kwargs, ctx)
        .map_err(|m| {
            let hint = if m.starts_with("no macro named") {
                Some(format!(
                    "define it with {{% test {}(model, column_name) %}} in macros/, or check the spelling",
                    test.test_name
                ))
            } else {
                None
            };
            let d = fail(format!("test `{}`: {m}", test.test_name));
            match hint {
                Some(h) => d.with_hint(h),
                None => d,
            }
        })
}

/// Converts `--vars` YAML/JSON text to a map.
pub fn parse_vars(text: &str) -> Result<IndexMap<String, Json>, Diagnostic> {
    if text.trim().is_empty() {
        return Ok(IndexMap::new());
    }
    crate::project::yaml::parse::<IndexMap<String, Json>>("--vars", text).map_err(|mut d| {
        d.location = Location::file("--vars");
        d
    })
}
