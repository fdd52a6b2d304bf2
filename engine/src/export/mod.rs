//! `modelplay export --target redshift`: what dbt-redshift would run to deploy the project,
//! per node and as one `deploy.sql` in dependency order, with the `create table` and `copy`
//! of every source, and the data tests as queries a deploy job runs after the build.
//!
//! The export reads the project as the check plans it (compiled SQL, each model's columns
//! and types), never a run: what the sample data does has no bearing on what deploys. A node
//! that does not compile is reported at its line and left out with what is built from it;
//! the rest is written. Given a previous `manifest.json` (`state`), only what changed and
//! what is built from it deploys, against the relations already there.

mod constraints;
pub mod ddl;
mod nodes;
pub mod state;
pub mod validate;

use std::collections::{HashMap, HashSet};

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::project::{Materialization, Node, NodeKind};
use crate::redshift::types::redshift_type;
use crate::run::tables::display_value;
use crate::run::{CheckReport, Engine};

pub use nodes::Existing;
pub use state::State;

/// One written file: a path below the export folder and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    pub path: String,
    pub contents: String,
}

/// What to export: dbt's `--select`, `--exclude`, and `--state` (a previous manifest).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions<'a> {
    pub select: &'a [String],
    pub exclude: &'a [String],
    pub state: Option<&'a State>,
}

/// The export: its files, and why anything was left out.
#[derive(Debug, Clone, Default)]
pub struct Export {
    pub files: Vec<ExportedFile>,
    /// A node that does not compile (an error at its line), and each node left out because
    /// of it (a warning).
    pub problems: Vec<Diagnostic>,
    /// What was exported with a caveat: a model the playground could not check (it reads
    /// Redshift's system tables), deployed from its compiled SQL as written.
    pub warnings: Vec<Diagnostic>,
}

impl Export {
    /// Whether every selected node was exported.
    pub fn complete(&self) -> bool {
        self.problems.is_empty()
    }
}

fn var(engine: &Engine, name: &str) -> Option<String> {
    engine
        .project()
        .vars
        .get(name)
        .and_then(|v| v.as_str().map(str::to_string))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A node's statements: what this deploy runs, and for a first build of an incremental
/// model or a snapshot, what later runs execute.
struct NodeSql {
    now: Vec<String>,
    later: Option<Vec<String>>,
}

/// Exports the project; `Err` only for a selection that does not parse.
pub async fn export(
    engine: &Engine,
    options: &ExportOptions<'_>,
) -> Result<Export, Vec<Diagnostic>> {
    let project = engine.project();
    let report = engine.check().await;
    let sets = options.state.map(|s| s.sets(project));
    let chosen = crate::selector::select_in_state(
        project,
        engine.dag(),
        options.select,
        options.exclude,
        sets.as_ref(),
    )
    .map_err(|m| vec![crate::run::selector_error(m)])?;
    // With a previous manifest and no selection, dbt's `state:modified+`, except that a
    // table whose keys alone changed is altered in place and what reads it is as it was.
    let stateless_selection = options.select.iter().all(|s| s.trim().is_empty());
    let changed: Option<HashSet<String>> = options.state.filter(|_| stateless_selection).map(|s| {
        let mut out = HashSet::new();
        for node in project.nodes.values().filter(|n| !n.kind.is_test()) {
            match s.change(project, node) {
                state::Change::Rebuild => {
                    out.extend(engine.dag().descendants(&node.unique_id, None));
                    out.insert(node.unique_id.clone());
                }
                state::Change::Keys { .. } => {
                    out.insert(node.unique_id.clone());
                }
                state::Change::None => {}
            }
        }
        out
    });
    let mut order: Vec<Node> = engine
        .dag()
        .order(project)
        .iter()
        .filter(|id| chosen.contains(*id))
        .filter(|id| changed.as_ref().is_none_or(|c| c.contains(*id)))
        .filter_map(|id| project.nodes.get(id).cloned())
        .filter(|n| !n.kind.is_test())
        .collect();
    // Seeds first, as `dbt seed` before `dbt run`: a source can name a seed's table, and
    // the graph has no edge for that. A seed reads nothing, so this keeps every dependency.
    order.sort_by_key(|n| n.kind != NodeKind::Seed);

    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    // Each node left out, with the node whose failure left it out (itself, or upstream).
    let mut left_out: HashMap<String, String> = HashMap::new();
    let mut exported: Vec<(Node, NodeSql)> = Vec::new();
    for node in &order {
        let blocked = engine
            .dag()
            .parents(&node.unique_id)
            .into_iter()
            .find_map(|p| left_out.get(&p).cloned());
        if let Some(cause) = blocked {
            let name = project
                .nodes
                .get(&cause)
                .map_or(cause.clone(), |n| n.name.clone());
            problems.push(Diagnostic::warning(
                Code::Upstream,
                crate::diagnostic::Location::file(&node.path),
                format!(
                    "`{}` is not exported because `{name}`, which it is built from, cannot be",
                    node.name
                ),
            ));
            left_out.insert(node.unique_id.clone(), cause);
            continue;
        }
        let existing = options.state.and_then(|s| s.existing(node));
        let rekeyed = options
            .state
            .map(|s| s.change(project, node))
            .and_then(|c| match c {
                state::Change::Keys { dist, sort } => Some((dist, sort)),
                _ => None,
            });
        if let (Some((dist, sort)), Some(keys), Some(Existing::Table)) =
            (rekeyed, node.materialization.table_keys(), existing)
        {
            let relation = node.relation.to_string();
            exported.push((
                node.clone(),
                NodeSql {
                    now: state::alter_keys(&relation, keys, dist, sort),
                    later: None,
                },
            ));
            continue;
        }
        let unchecked = unchecked_but_deployable(engine, &report, node);
        match node_sql(engine, &report, node, options.state, unchecked.is_some()) {
            Ok(Some(sql)) => {
                if let Some(w) = unchecked {
                    let text = project.files.text(&w.location.file).unwrap_or_default();
                    warnings.push(w.with_source(&text));
                }
                if let Some(w) = options
                    .state
                    .and_then(|s| schema_change_unseen(project, s, node))
                {
                    warnings.push(w);
                }
                exported.push((node.clone(), sql));
            }
            Ok(None) => {}
            Err(d) => {
                problems.push(d);
                left_out.insert(node.unique_id.clone(), node.unique_id.clone());
            }
        }
    }

    let mut files = Vec::new();
    let mut deploy: Vec<String> = Vec::new();
    let sources: Vec<_> = project
        .sources
        .values()
        .filter(|s| chosen.contains(&s.unique_id) && options.state.is_none())
        // A source that names the table a seed builds is that seed's table (dbt's "seed,
        // then build"): the seed creates and fills it, so no loader table or copy.
        .filter(|s| engine.seed_behind(s).is_none())
        .cloned()
        .collect();
    let mut schemas: Vec<String> = Vec::new();
    let relations = sources
        .iter()
        .map(|s| &s.relation)
        .chain(exported.iter().map(|(n, _)| &n.relation));
    for relation in relations {
        let schema = format!("\"{}\"", relation.schema);
        if !schemas.contains(&schema) {
            schemas.push(schema);
        }
    }
    if !schemas.is_empty() {
        deploy.push(
            schemas
                .iter()
                .map(|s| format!("create schema if not exists {s};"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    match project_hooks(engine, "on-run-start") {
        Ok(hooks) => deploy.extend(hooks),
        Err(d) => problems.push(d),
    }

    let bucket = var(engine, "s3_bucket");
    let role = var(engine, "iam_role");
    for source in &sources {
        let sql = source_sql(engine, source, bucket.as_deref(), role.as_deref());
        files.push(ExportedFile {
            path: format!("sources/{}__{}.sql", source.source_name, source.name),
            contents: format!("{sql}\n"),
        });
        deploy.push(sql);
    }

    for (node, sql) in &exported {
        let now = sql.now.join("\n");
        let mut body = format!(
            "-- {} {} ({})\n{now}\n",
            node.materialized(),
            node.name,
            node.path
        );
        if let Some(later) = &sql.later {
            body.push_str(&format!(
                "\n-- Later runs: what dbt executes once the table exists.\n{}\n",
                later.join("\n")
            ));
        }
        files.push(ExportedFile {
            path: format!(
                "models/{}/{}.sql",
                node.relation.schema, node.relation.identifier
            ),
            contents: body,
        });
        deploy.push(format!("-- {} {}\n{now}", node.materialized(), node.name));
    }
    match project_hooks(engine, "on-run-end") {
        Ok(hooks) => deploy.extend(hooks),
        Err(d) => problems.push(d),
    }

    let deployed: HashSet<&str> = exported
        .iter()
        .map(|(n, _)| n.unique_id.as_str())
        .chain(sources.iter().map(|s| s.unique_id.as_str()))
        .collect();
    let tests = tests_sql(engine, &report, &deployed, &left_out, &mut problems);
    if !tests.is_empty() {
        files.push(ExportedFile {
            path: "tests.sql".into(),
            contents: tests,
        });
    }
    let mut header = format!(
        "-- Deploys project `{}` to Amazon Redshift, in dependency order, as dbt-redshift builds it:\n\
         -- each node in its own transaction, a table or view built beside the old one and swapped in.\n\
         -- Run with: psql -v ON_ERROR_STOP=1 -f deploy.sql; then tests.sql checks the data.\n",
        project.name
    );
    if let Some(state) = options.state {
        header.push_str(&format!(
            "-- A change deploy against {}: what changed since, and what is built from it.\n",
            state.label
        ));
    }
    let mut missing: Vec<&str> = order
        .iter()
        .filter(|n| left_out.contains_key(&n.unique_id))
        .map(|n| n.name.as_str())
        .collect();
    missing.dedup();
    if !missing.is_empty() {
        header.push_str(&format!(
            "-- Left out, as they do not compile here (or are built from what does not): {}\n",
            missing.join(", ")
        ));
    }
    files.insert(
        0,
        ExportedFile {
            path: "deploy.sql".into(),
            contents: format!("{header}\n{}\n", deploy.join("\n\n")),
        },
    );
    Ok(Export {
        files,
        problems,
        warnings,
    })
}

/// `on-run-start` or `on-run-end`, rendered, as one section of the deploy (none when the
/// project has none).
fn project_hooks(engine: &Engine, key: &str) -> Result<Option<String>, Diagnostic> {
    let hooks = engine.render_project_hooks(key)?;
    Ok((!hooks.is_empty()).then(|| {
        let statements: Vec<String> = hooks.iter().map(|h| statement_of(h)).collect();
        format!("-- {key}\n{}", statements.join("\n"))
    }))
}

/// A statement as the deploy writes it: trimmed, ending in `;`.
fn statement_of(sql: &str) -> String {
    let s = sql.trim().trim_end_matches(';').trim_end();
    format!("{s};")
}

/// The node's columns with Redshift types, as the check planned them.
fn columns_of(report: &CheckReport, node: &Node) -> Vec<(String, String)> {
    report
        .columns
        .get(&node.unique_id)
        .cloned()
        .unwrap_or_default()
}

/// An incremental model merged into the table a previous deploy left, whose SQL changed and
/// whose `on_schema_change` is not `ignore`: dbt compares the new columns with the table's
/// as it runs, and the manifest does not record the table's columns, so the export cannot
/// write the `alter table` that comparison may call for. Said, not silently assumed.
fn schema_change_unseen(
    project: &crate::project::Project,
    state: &State,
    node: &Node,
) -> Option<Diagnostic> {
    use crate::project::resolved::OnSchemaChange;
    let inc = node.materialization.incremental()?;
    if inc.on_schema_change == OnSchemaChange::Ignore
        || inc.full_refresh == Some(true)
        || state.existing(node) != Some(Existing::Table)
        || !state.body_changed(project, node)
    {
        return None;
    }
    let at = node
        .config
        .at("on_schema_change")
        .cloned()
        .unwrap_or_else(|| crate::diagnostic::Location::file(&node.path));
    let text = project.files.text(&at.file).unwrap_or_default();
    Some(
        Diagnostic::warning(
            Code::Unsupported,
            at,
            format!(
                "`{}` changed and merges into the table already there: dbt compares its columns with the table's as it runs (on_schema_change: {}), which the export cannot see, so it writes no `alter table` for them",
                node.name,
                serde_json::to_value(inc.on_schema_change)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
        )
        .with_source(&text)
        .with_hint("if the model's columns changed, add or drop them with `alter table` before the deploy, or deploy it with full_refresh"),
    )
}

/// Whether a check failure is only that the model reads Redshift's system tables.
fn reads_system_tables(d: &Diagnostic) -> bool {
    d.code == Code::Unsupported && d.message.contains(crate::redshift::system::NOT_HERE)
}

/// A node the check could not plan, because it (or what it is built from) reads Redshift's
/// system tables, and that deploys from its SQL alone (a table, view or materialized view:
/// nothing in its statements needs its columns). The warning that says so, or `None`.
fn unchecked_but_deployable(
    engine: &Engine,
    report: &CheckReport,
    node: &Node,
) -> Option<Diagnostic> {
    let from_sql_alone = matches!(
        node.materialization,
        Materialization::Table(_)
            | Materialization::View { .. }
            | Materialization::MaterializedView { .. }
    );
    if !from_sql_alone || !node.materialization.problems().is_empty() {
        return None;
    }
    if let Some(d) = report.failed.get(&node.unique_id) {
        return reads_system_tables(d).then(|| {
            Diagnostic::warning(
                Code::Unsupported,
                d.location.clone(),
                format!(
                    "`{}` reads Redshift's system tables, which the playground does not have: it is exported from its compiled SQL, unchecked",
                    node.name
                ),
            )
        });
    }
    if !report.not_checked.contains(&node.unique_id) {
        return None;
    }
    let blockers: Vec<&Diagnostic> = engine
        .dag()
        .ancestors(&node.unique_id, None)
        .iter()
        .filter_map(|a| report.failed.get(a))
        .collect();
    let only_system = !blockers.is_empty() && blockers.iter().all(|d| reads_system_tables(d));
    only_system.then(|| {
        Diagnostic::warning(
            Code::Unsupported,
            crate::diagnostic::Location::file(&node.path),
            format!(
                "`{}` is built from a model that reads Redshift's system tables: it is exported from its compiled SQL, unchecked",
                node.name
            ),
        )
    })
}

/// Why a node cannot deploy: its own check failure, a config dbt would reject, keys that
/// name columns it does not have.
fn cannot_deploy(engine: &Engine, report: &CheckReport, node: &Node) -> Option<Diagnostic> {
    if let Some(d) = report.failed.get(&node.unique_id) {
        return Some(d.clone());
    }
    if report.not_checked.contains(&node.unique_id) {
        return Some(Diagnostic::error(
            Code::Upstream,
            crate::diagnostic::Location::file(&node.path),
            format!(
                "`{}` was not checked: something it reads has errors",
                node.name
            ),
        ));
    }
    if let Some(d) = node.materialization.problems().first() {
        return Some(d.clone());
    }
    let keys = node.materialization.table_keys()?;
    if node.kind == NodeKind::Seed {
        return None;
    }
    let columns = columns_of(report, node);
    let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    let monotonic = |c: &str| {
        columns
            .iter()
            .any(|(n, t)| n == c && (t.starts_with("timestamp") || t == "date"))
    };
    validate::check_keys(engine.project(), node, keys, &names, &monotonic)
        .into_iter()
        .find(|d| d.severity == Severity::Error)
}

/// A node's statements, as dbt-redshift runs them: for a first deploy (`existing` is none),
/// or against the relation already there.
fn node_sql(
    engine: &Engine,
    report: &CheckReport,
    node: &Node,
    state: Option<&State>,
    unchecked: bool,
) -> Result<Option<NodeSql>, Diagnostic> {
    let existing = state.and_then(|s| s.existing(node));
    if matches!(
        node.materialization,
        Materialization::Ephemeral | Materialization::Test(_) | Materialization::Unit
    ) {
        return Ok(None);
    }
    if !unchecked && let Some(d) = cannot_deploy(engine, report, node) {
        return Err(d);
    }
    let project = engine.project();
    let compile =
        |is_incremental| engine.compile_sql_checked(&node.unique_id, is_incremental, report);
    let relation = node.relation.to_string();
    let columns = columns_of(report, node);
    let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    let incremental_run = matches!(existing, Some(Existing::Table))
        && node
            .materialization
            .incremental()
            .is_some_and(|i| i.full_refresh != Some(true));
    let column_docs: Vec<(String, String)> = node
        .columns
        .iter()
        .filter(|c| names.iter().any(|n| n.eq_ignore_ascii_case(&c.name)))
        .map(|c| (c.name.clone(), c.description.clone()))
        .collect();
    // A relation that stays (merged into, reloaded) keeps its grants; one built new has none.
    let kept = incremental_run
        || (existing == Some(Existing::Table)
            && matches!(
                node.materialization,
                Materialization::Seed { .. } | Materialization::Snapshot { .. }
            ));
    let around = nodes::Around {
        relation: &node.relation,
        pre_hooks: engine.render_node_hooks_checked(node, "pre-hook", incremental_run, report)?,
        post_hooks: engine.render_node_hooks_checked(node, "post-hook", incremental_run, report)?,
        deploy: &node.deploy,
        description: &node.description,
        column_docs: column_docs.clone(),
        existing,
        kept_grants: kept.then(|| state.map(|s| s.grants(node)).unwrap_or_default()),
    };
    // A later run of an incremental model or a snapshot, once this deploy built it: the
    // hooks see `is_incremental()`, and the grants are in place.
    let later_around = || -> Result<nodes::Around, Diagnostic> {
        Ok(nodes::Around {
            relation: &node.relation,
            pre_hooks: engine.render_node_hooks_checked(node, "pre-hook", true, report)?,
            post_hooks: engine.render_node_hooks_checked(node, "post-hook", true, report)?,
            deploy: &node.deploy,
            description: &node.description,
            column_docs: column_docs.clone(),
            existing: Some(Existing::Table),
            kept_grants: Some(node.deploy.grants.clone()),
        })
    };
    let temp = format!("\"{}__dbt_tmp\"", node.relation.identifier);
    let intermediate = nodes::intermediate(&node.relation);
    Ok(Some(match &node.materialization {
        Materialization::Seed { .. } => {
            let (create, insert) = seed_sql(engine, node, &columns)?;
            let mut main = match existing {
                // dbt seed on a table that is there: emptied, then loaded again.
                Some(Existing::Table) => vec![format!("truncate table {relation};")],
                _ => vec![create],
            };
            main.extend(insert);
            NodeSql {
                now: nodes::in_place(&around, "table", main),
                later: None,
            }
        }
        Materialization::Snapshot { snapshot, .. } => {
            let sql = compile(false)?;
            let meta = snapshot.names.columns(snapshot.hard_deletes);
            let data: Vec<String> = names
                .iter()
                .filter(|n| !meta.contains(&n.as_str()))
                .cloned()
                .collect();
            let snap = ddl::SnapshotSql::new(snapshot, &data);
            let mut merge = vec![format!(
                "create temporary table {temp} as (\n{}\n);",
                snap.staging(&relation, &sql)
            )];
            merge.extend(snap.merge(&relation, &temp, &names));
            match existing {
                Some(_) => NodeSql {
                    now: nodes::in_place(&around, "table", merge),
                    later: None,
                },
                None => NodeSql {
                    now: nodes::in_place(&around, "table", vec![snap.create(&relation, &sql)]),
                    later: Some(nodes::in_place(&later_around()?, "table", merge)),
                },
            }
        }
        Materialization::Ephemeral
        | Materialization::Test(_)
        | Materialization::Unit
        | Materialization::Invalid(_) => return Ok(None),
        Materialization::View { bind, .. } => {
            let sql = compile(false)?;
            NodeSql {
                now: nodes::view(
                    &around,
                    ddl::create_view_as(&intermediate, *bind, &sql),
                    !*bind,
                ),
                later: None,
            }
        }
        Materialization::MaterializedView { keys, auto_refresh } => {
            let sql = compile(false)?;
            let mut main = Vec::new();
            if existing.is_some() {
                // A changed materialized view is replaced: dropped, then created.
                main.push(format!(
                    "drop materialized view if exists {relation} cascade;"
                ));
            }
            main.push(ddl::create_materialized_view(
                &relation,
                keys,
                *auto_refresh,
                &sql,
            ));
            NodeSql {
                now: nodes::in_place(&around, "materialized view", main),
                later: None,
            }
        }
        Materialization::Table(keys) => {
            let sql = compile(false)?;
            NodeSql {
                now: nodes::table(
                    &around,
                    create_table(project, node, keys, &intermediate, &sql)?,
                ),
                later: None,
            }
        }
        Materialization::Incremental { keys, incremental } if incremental.microbatch.is_some() => {
            let Some(mb) = &incremental.microbatch else {
                return Ok(None);
            };
            // Each batch reads its window of what it reads, and replaces its window.
            let run_time = engine.run_time();
            let in_batch = |b: &crate::project::microbatch::Batch, is_incremental: bool| {
                engine.compile_sql_checked_in_batch(
                    &node.unique_id,
                    is_incremental,
                    report,
                    Some(b),
                )
            };
            let replace =
                |b: &crate::project::microbatch::Batch| -> Result<Vec<String>, Diagnostic> {
                    let s = in_batch(b, true)?;
                    let temp = format!("\"{}__dbt_tmp_{}\"", node.relation.identifier, b.id);
                    Ok(ddl::incremental_statements(
                        &relation,
                        &temp,
                        incremental,
                        &s,
                        &names,
                        Some(b),
                    ))
                };
            let batches = mb.batches(run_time, incremental_run);
            let Some((first, rest)) = batches.split_first() else {
                let at = node
                    .config
                    .at("begin")
                    .cloned()
                    .unwrap_or_else(|| crate::diagnostic::Location::file(&node.path));
                return Err(Diagnostic::error(
                    Code::Config,
                    at,
                    format!(
                        "`{}` has no batch to build: its `begin` is after the run's time",
                        node.name
                    ),
                ));
            };
            let mut now = if incremental_run {
                nodes::incremental(&around, replace(first)?)
            } else if existing.is_some() {
                let sql = in_batch(first, false)?;
                nodes::table(
                    &around,
                    create_table(project, node, keys, &intermediate, &sql)?,
                )
            } else {
                let sql = in_batch(first, false)?;
                nodes::incremental(
                    &around,
                    vec![create_table(project, node, keys, &relation, &sql)?],
                )
            };
            for b in rest {
                now.extend(nodes::incremental(&later_around()?, replace(b)?));
            }
            // A later run at this time: the lookback batches and the current one.
            let later = if incremental_run {
                None
            } else {
                let mut later = Vec::new();
                for b in mb.batches(run_time, true) {
                    later.extend(nodes::incremental(&later_around()?, replace(&b)?));
                }
                Some(later)
            };
            NodeSql { now, later }
        }
        Materialization::Incremental { keys, incremental } => {
            let strategy = || -> Result<Vec<String>, Diagnostic> {
                let s = compile(true)?;
                Ok(ddl::incremental_statements(
                    &relation,
                    &temp,
                    incremental,
                    &s,
                    &names,
                    None,
                ))
            };
            let later = || -> Result<Vec<String>, Diagnostic> {
                Ok(nodes::incremental(&later_around()?, strategy()?))
            };
            if incremental_run {
                NodeSql {
                    now: nodes::incremental(&around, strategy()?),
                    later: None,
                }
            } else if existing.is_some() {
                // A full refresh (or a view that becomes this table): built beside, swapped.
                let sql = compile(false)?;
                NodeSql {
                    now: nodes::table(
                        &around,
                        create_table(project, node, keys, &intermediate, &sql)?,
                    ),
                    later: Some(later()?),
                }
            } else {
                let sql = compile(false)?;
                NodeSql {
                    now: nodes::incremental(
                        &around,
                        vec![create_table(project, node, keys, &relation, &sql)?],
                    ),
                    later: Some(later()?),
                }
            }
        }
    }))
}

/// `create table ... as`, or, for an enforced contract, the declared columns and
/// constraints, then the insert.
fn create_table(
    project: &crate::project::Project,
    node: &Node,
    keys: &crate::project::resolved::TableKeys,
    relation: &str,
    sql: &str,
) -> Result<String, Diagnostic> {
    if !keys.contract_enforced {
        return Ok(ddl::create_table_as(relation, keys, sql, false));
    }
    let lines = constraints::table_columns(project, node).map_err(|d| {
        let text = project.files.text(&d.location.file).unwrap_or_default();
        d.with_source(&text)
    })?;
    let names: Vec<String> = node.columns.iter().map(constraints::column_name).collect();
    Ok(ddl::create_table_with_columns(
        relation, keys, &lines, &names, sql,
    ))
}

/// The data tests of the exported nodes as queries that return failing rows, a test each,
/// for a deploy job to run after the build (a test passes when its query returns no row).
/// A test that does not compile or plan is an error at its line and left out of the file.
fn tests_sql(
    engine: &Engine,
    report: &CheckReport,
    deployed: &HashSet<&str>,
    left_out: &HashMap<String, String>,
    problems: &mut Vec<Diagnostic>,
) -> String {
    let project = engine.project();
    let mut out = Vec::new();
    for test in project.nodes.values().filter(|n| n.kind == NodeKind::Test) {
        let reads_deployed = test
            .depends_on
            .iter()
            .any(|d| deployed.contains(d.as_str()));
        let reads_left_out = test.depends_on.iter().any(|d| left_out.contains_key(d));
        if !reads_deployed || reads_left_out {
            continue;
        }
        if let Some(d) = report.failed.get(&test.unique_id) {
            problems.push(d.clone());
            continue;
        }
        let sql = match engine.compile_sql_checked(&test.unique_id, false, report) {
            Ok(sql) => sql,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        let severity = test.materialization.test().map_or("error", |t| {
            if t.severity == crate::project::resolved::TestSeverity::Warn {
                "warn"
            } else {
                "error"
            }
        });
        out.push(format!(
            "-- test {} ({severity}; {})\n{}",
            test.name,
            test.location,
            statement_of(&sql)
        ));
    }
    if out.is_empty() {
        return String::new();
    }
    format!(
        "-- The project's data tests: each query returns the rows that fail it (none: it passes).\n\n{}\n",
        out.join("\n\n")
    )
}

/// A seed as dbt loads it: the table with the types dbt inferred, and its rows.
fn seed_sql(
    engine: &Engine,
    node: &Node,
    columns: &[(String, String)],
) -> Result<(String, Vec<String>), Diagnostic> {
    let relation = node.relation.to_string();
    let batch = engine.seed_rows(node)?;
    let cols: Vec<String> = columns
        .iter()
        .map(|(n, t)| format!("    \"{n}\" {t}"))
        .collect();
    let mut values = Vec::new();
    for i in 0..batch.num_rows() {
        let row: Vec<String> = (0..batch.num_columns())
            .map(|c| {
                if batch.column(c).is_null(i) {
                    "null".to_string()
                } else {
                    quote_literal(&display_value(batch.column(c), i))
                }
            })
            .collect();
        values.push(format!("    ({})", row.join(", ")));
    }
    let names: Vec<String> = columns.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let create = format!("create table {relation} (\n{}\n);", cols.join(",\n"));
    let insert = (!values.is_empty())
        .then(|| {
            format!(
                "insert into {relation} ({})\nvalues\n{};",
                names.join(", "),
                values.join(",\n")
            )
        })
        .into_iter()
        .collect();
    Ok((create, insert))
}

/// The raw table a loader fills, and the `copy` that loads one file of it from S3.
fn source_sql(
    engine: &Engine,
    source: &crate::project::SourceTable,
    bucket: Option<&str>,
    role: Option<&str>,
) -> String {
    let relation = format!(
        "\"{}\".\"{}\"",
        source.relation.schema, source.relation.identifier
    );
    let loaded_at = source
        .loaded_at_field
        .clone()
        .unwrap_or_else(|| "_fivetran_synced".into());
    // The loader stamps the load time only where the file has no such column; a
    // `loaded_at_field` the file carries (a scrape time) is loaded from it.
    let file_has = |name: &str| -> bool {
        let Some(load) = source.loads.last() else {
            return false;
        };
        let bytes = engine.project().files.get(&load.path).unwrap_or_default();
        if crate::data::parquet::is_parquet(&load.path) {
            crate::data::parquet::read(&load.path, bytes, &|_| None, None)
                .is_ok_and(|b| b.schema().fields().iter().any(|f| f.name() == name))
        } else {
            crate::data::csv::read_columns(&load.path, bytes, b',')
                .is_ok_and(|(c, _)| c.headers.iter().any(|h| h == name))
        }
    };
    let loaded_at = if file_has(&loaded_at) {
        String::new()
    } else {
        loaded_at
    };
    // The columns and types the loader gives the latest sample file: read, not built.
    let schema = engine
        .read_source(source, None)
        .map(|(batch, _)| batch.schema())
        .ok()
        .or_else(|| Some(engine.source_schema(source)));
    let declared = |name: &str| {
        source
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .and_then(|c| c.data_type.clone())
    };
    let columns: Vec<(String, String)> = schema
        .map(|s| {
            s.fields()
                .iter()
                .map(|f| {
                    let t = declared(f.name()).unwrap_or_else(|| match f.data_type() {
                        datafusion::arrow::datatypes::DataType::Utf8 => "varchar(65535)".into(),
                        other => redshift_type(other),
                    });
                    (f.name().clone(), t)
                })
                .collect()
        })
        .unwrap_or_default();
    let defs: Vec<String> = columns
        .iter()
        .map(|(n, t)| {
            if *n == loaded_at {
                format!("    \"{n}\" timestamp default getdate()")
            } else {
                format!("    \"{n}\" {t}")
            }
        })
        .collect();
    let file_columns: Vec<String> = columns
        .iter()
        .filter(|(n, _)| *n != loaded_at)
        .map(|(n, _)| format!("\"{n}\""))
        .collect();
    let bucket = bucket.unwrap_or("<s3_bucket var>");
    let role = role.unwrap_or("<iam_role var>");
    // Redshift creates and loads tables only in the database a session is connected to.
    let elsewhere = if source.relation.database != engine.project().target.database {
        format!(
            "-- In database \"{}\": Redshift creates and loads a table only in the database it is connected to; run this part connected there.\n",
            source.relation.database
        )
    } else {
        String::new()
    };
    let create = format!(
        "-- source {}.{}\n{elsewhere}create table if not exists {relation} (\n{}\n);\n\
         -- Load one file; set the s3_bucket and iam_role vars in dbt_project.yml.\n",
        source.source_name,
        source.name,
        defs.join(",\n"),
    );
    let from = format!(
        "from 's3://{bucket}/{}/{}/'\niam_role '{role}'",
        source.source_name, source.name
    );
    let parquet = source
        .loads
        .last()
        .is_some_and(|l| crate::data::parquet::is_parquet(&l.path));
    if !parquet {
        return format!(
            "{create}copy {relation} ({})\n{from}\nformat as csv\nignoreheader 1\ntimeformat 'auto';",
            file_columns.join(", "),
        );
    }
    // COPY from Parquet maps columns by position and needs as many table columns as the
    // file has, so the load-time column is filled by an insert from a staging table.
    let stage = format!("\"{}_load\"", source.relation.identifier);
    let stage_defs: Vec<&String> = columns
        .iter()
        .zip(&defs)
        .filter(|((n, _), _)| *n != loaded_at)
        .map(|(_, d)| d)
        .collect();
    format!(
        "{create}create temp table {stage} (\n{}\n);\ncopy {stage}\n{from}\nformat as parquet;\n\
         insert into {relation} ({cols})\nselect {cols} from {stage};\ndrop table {stage};",
        stage_defs
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(",\n"),
        cols = file_columns.join(", "),
    )
}
