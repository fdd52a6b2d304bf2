//! dbt's hooks on the engine: `pre-hook` and `post-hook` around a node, `on-run-start` and
//! `on-run-end` around a run. Here the engine is the warehouse, so what it holds runs: queries,
//! inserts, deletes, updates, tables created and dropped. What only means something in a real
//! warehouse (grants, vacuum, analyze, unload) is skipped, and a warning names it.

use std::sync::Arc;

use crate::redshift::dialect::RedshiftDialect;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{ObjectName, Statement};
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

use minijinja::context;

use super::{Engine, compile, results::NodeResult};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::project::{Node, ProjectHook};
use crate::redshift::functions::format_timestamp;
use crate::redshift::rewrite;

/// One statement of a rendered hook: to run, or to skip and say why.
#[derive(Debug)]
pub(crate) enum Step {
    Run(Box<Statement>),
    Skip { statement: String, why: String },
}

/// The statements of a rendered hook, each with what the engine does with it.
pub(crate) fn steps(sql: &str) -> Vec<Step> {
    if sql.trim().is_empty() {
        return Vec::new();
    }
    match Parser::parse_sql(&RedshiftDialect, sql) {
        Ok(statements) => statements.into_iter().map(step_of).collect(),
        // One statement it cannot read must not hide the others.
        Err(_) => split(sql)
            .into_iter()
            .map(|text| match Parser::parse_sql(&RedshiftDialect, &text) {
                Ok(parsed) => match <[Statement; 1]>::try_from(parsed) {
                    Ok([statement]) => step_of(statement),
                    Err(_) => unreadable(&text, None),
                },
                Err(e) => unreadable(&text, Some(e.to_string())),
            })
            .collect(),
    }
}

fn step_of(statement: Statement) -> Step {
    match why_skipped(&statement) {
        None => Step::Run(Box::new(statement)),
        Some(why) => Step::Skip {
            statement: short(&statement.to_string()),
            why: why.to_string(),
        },
    }
}

/// Why a statement has no effect here, or `None` for one the engine runs.
fn why_skipped(statement: &Statement) -> Option<&'static str> {
    Some(match statement {
        Statement::Query(_)
        | Statement::Insert(_)
        | Statement::Delete(_)
        | Statement::Update(_)
        | Statement::Truncate(_)
        | Statement::CreateTable(_)
        | Statement::CreateView(_)
        | Statement::CreateSchema { .. }
        | Statement::Drop { .. } => return None,
        Statement::Grant(_) | Statement::Revoke(_) | Statement::Deny(_) => PRIVILEGES,
        Statement::Analyze(_) | Statement::Vacuum(_) => MAINTENANCE,
        Statement::Unload { .. } | Statement::Copy { .. } => S3,
        Statement::Comment { .. } => "comments belong to the warehouse's catalog",
        Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Set(_)
        | Statement::Reset(_) => SESSION,
        Statement::AlterTable(_)
        | Statement::AlterView { .. }
        | Statement::AlterSchema(_)
        | Statement::AlterUser(_)
        | Statement::AlterRole { .. } => {
            "it changes warehouse objects the playground does not keep"
        }
        _ => "modelplay does not run this kind of statement",
    })
}

const PRIVILEGES: &str = "the playground has no users, groups or privileges";
const MAINTENANCE: &str = "the playground's tables need no maintenance";
const S3: &str = "it moves data to or from S3, which the playground cannot reach";
const SESSION: &str = "each hook runs on its own here, outside a transaction";

/// A statement the parser does not read: known warehouse commands by their first word.
fn unreadable(text: &str, error: Option<String>) -> Step {
    let first = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let why = match first.as_str() {
        "grant" | "revoke" => PRIVILEGES.to_string(),
        "vacuum" | "analyze" => MAINTENANCE.to_string(),
        "unload" | "copy" => S3.to_string(),
        "begin" | "commit" | "end" | "rollback" | "set" | "reset" => SESSION.to_string(),
        "call" => "stored procedures live in the warehouse".to_string(),
        _ => match error {
            Some(e) => format!("modelplay cannot read it ({e})"),
            None => "modelplay cannot read it".to_string(),
        },
    };
    Step::Skip {
        statement: short(text),
        why,
    }
}

/// A hook's text cut at its top-level semicolons, by the tokenizer, so that a `;` inside a
/// string does not split it.
fn split(sql: &str) -> Vec<String> {
    let Ok(tokens) = Tokenizer::new(&RedshiftDialect, sql).tokenize() else {
        return vec![sql.trim().to_string()];
    };
    let mut out = Vec::new();
    let mut current = String::new();
    for token in tokens {
        if token == Token::SemiColon {
            out.push(std::mem::take(&mut current));
        } else {
            current.push_str(&token.to_string());
        }
    }
    out.push(current);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn short(statement: &str) -> String {
    let one_line: String = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// The schema a `CREATE TABLE` or `CREATE VIEW` writes into, so that it can be made first:
/// Redshift's schemas exist before a hook runs, and the engine's exist once used.
pub(crate) fn created_in(statement: &Statement) -> Option<&ObjectName> {
    match statement {
        Statement::CreateTable(t) => Some(&t.name),
        Statement::CreateView(v) => Some(&v.name),
        _ => None,
    }
}

/// Runs one statement to completion in `session`.
pub(crate) async fn execute(
    session: &SessionContext,
    mut statement: Statement,
) -> Result<(), String> {
    rewrite(&mut statement);
    let plan = session
        .state()
        .statement_to_plan(DfStatement::Statement(Box::new(statement)))
        .await
        .map_err(|e| super::execute::user_message(&e))?;
    session
        .execute_logical_plan(plan)
        .await
        .map_err(|e| super::execute::user_message(&e))?
        .collect()
        .await
        .map_err(|e| super::execute::user_message(&e))?;
    Ok(())
}

impl Engine {
    /// Runs a node's `pre-hook` or `post-hook` statements, each rendered in the node's
    /// context (`this`, `config`) as dbt renders them just before they run.
    pub(super) async fn run_node_hooks(
        &mut self,
        node: &Node,
        key: &str,
        is_incremental: bool,
    ) -> Result<(), Diagnostic> {
        let at = node
            .config
            .at(key)
            .cloned()
            .unwrap_or_else(|| Location::file(&node.path));
        let label = format!("the {key} of `{}`", node.name);
        for (sql, _) in self.render_node_hooks(node, key, is_incremental)? {
            self.run_hook_sql(&sql, &label, &at).await?;
        }
        Ok(())
    }

    /// A node's `pre-hook` or `post-hook` statements rendered in its context (`this`,
    /// `config`) as dbt renders them just before they run, each with whether it runs inside
    /// the node's transaction.
    pub fn render_node_hooks(
        &self,
        node: &Node,
        key: &str,
        is_incremental: bool,
    ) -> Result<Vec<(String, bool)>, Diagnostic> {
        self.render_node_hooks_using(node, key, is_incremental, self.resolver(), None)
    }

    /// `render_node_hooks` against what the check planned, for the export, which builds
    /// nothing: a hook's queries (`run_query`, `statement`) see the planned relations, empty.
    pub fn render_node_hooks_checked(
        &self,
        node: &Node,
        key: &str,
        is_incremental: bool,
        report: &super::CheckReport,
    ) -> Result<Vec<(String, bool)>, Diagnostic> {
        let captured = compile::Captured::default();
        let mut resolver =
            compile::CompileResolver::new(&self.loaded.project, report.schemas.clone())
                .with_capture(captured.clone());
        if let Some(session) = &report.session.0 {
            resolver = resolver.with_session(session.clone());
        }
        self.render_node_hooks_using(
            node,
            key,
            is_incremental,
            Arc::new(resolver),
            Some(&captured),
        )
    }

    fn render_node_hooks_using(
        &self,
        node: &Node,
        key: &str,
        is_incremental: bool,
        resolver: Arc<compile::CompileResolver>,
        captured: Option<&compile::Captured>,
    ) -> Result<Vec<(String, bool)>, Diagnostic> {
        let hooks = node.config.hook_entries(key);
        if hooks.is_empty() {
            return Ok(Vec::new());
        }
        let at = node
            .config
            .at(key)
            .cloned()
            .unwrap_or_else(|| Location::file(&node.path));
        let run_started_at = format_timestamp(&self.run_time);
        let ctx = compile::render_ctx(
            &self.loaded,
            node,
            resolver,
            &run_started_at,
            is_incremental,
        );
        let label = format!("the {key} of `{}`", node.name);
        let mut out = Vec::new();
        for (sql, inside) in hooks {
            let rendered = self
                .loaded
                .templates
                .render(&at.file, &sql, &ctx)
                .map_err(|d| {
                    self.hook_error(&at, format!("{label} does not render: {}", d.message))
                })?;
            // What the hook ran while it rendered (`statement` calls), before what it says.
            if let Some(captured) = captured {
                let ran = std::mem::take(&mut *captured.lock().unwrap_or_else(|e| e.into_inner()));
                out.extend(ran.into_iter().map(|s| (s, inside)));
            }
            out.push((rendered.sql, inside));
        }
        Ok(out)
    }

    /// `on-run-start` or `on-run-end` rendered as a deploy runs them (`on-run-end` with no
    /// results yet: the deploy is SQL to run, not a run).
    pub fn render_project_hooks(&self, key: &str) -> Result<Vec<String>, Diagnostic> {
        let hooks = if key == "on-run-start" {
            &self.loaded.project.on_run_start
        } else {
            &self.loaded.project.on_run_end
        };
        let extra = (key == "on-run-end").then(|| end_of_run_context(&self.loaded.project, &[]));
        hooks
            .iter()
            .map(|hook| {
                let mut ctx = compile::project_render_ctx(
                    &self.loaded,
                    &hook.package,
                    key,
                    self.resolver(),
                    &format_timestamp(&self.run_time),
                );
                ctx.extra = extra.clone();
                let rendered = self
                    .loaded
                    .templates
                    .render(&hook.at.file, &hook.sql, &Arc::new(ctx))
                    .map_err(|d| {
                        self.hook_error(&hook.at, format!("`{key}` does not render: {}", d.message))
                    })?;
                Ok(rendered.sql)
            })
            .collect()
    }

    /// Runs `on-run-start` (before any node) or `on-run-end` (after the last, with dbt's
    /// `results` and `schemas`). A failing `on-run-start` stops the run, as in dbt.
    pub(super) async fn run_project_hooks(
        &mut self,
        key: &str,
        results: Option<&[NodeResult]>,
    ) -> Result<(), Diagnostic> {
        let hooks: Vec<ProjectHook> = if key == "on-run-start" {
            self.loaded.project.on_run_start.clone()
        } else {
            self.loaded.project.on_run_end.clone()
        };
        if hooks.is_empty() {
            return Ok(());
        }
        let extra = results.map(|r| end_of_run_context(&self.loaded.project, r));
        for hook in hooks {
            let mut ctx = compile::project_render_ctx(
                &self.loaded,
                &hook.package,
                key,
                self.resolver(),
                &format_timestamp(&self.run_time),
            );
            ctx.extra = extra.clone();
            let ctx = Arc::new(ctx);
            let rendered = self
                .loaded
                .templates
                .render(&hook.at.file, &hook.sql, &ctx)
                .map_err(|d| {
                    self.hook_error(&hook.at, format!("`{key}` does not render: {}", d.message))
                })?;
            self.run_hook_sql(&rendered.sql, &format!("`{key}`"), &hook.at)
                .await?;
        }
        Ok(())
    }

    async fn run_hook_sql(
        &mut self,
        sql: &str,
        label: &str,
        at: &Location,
    ) -> Result<(), Diagnostic> {
        for step in steps(sql) {
            match step {
                Step::Run(statement) => {
                    if let Some(name) = created_in(&statement) {
                        self.make_schema_for(name);
                    }
                    execute(&self.ctx, *statement)
                        .await
                        .map_err(|e| self.hook_error(at, format!("{label} failed: {e}")))?;
                }
                Step::Skip { statement, why } => {
                    let warning = Diagnostic::warning(
                        Code::Unsupported,
                        at.clone(),
                        format!("{label}: `{statement}` is not run: {why}"),
                    )
                    .with_source(&self.file_text(&at.file));
                    if !self.warnings.contains(&warning) {
                        self.warnings.push(warning);
                    }
                }
            }
        }
        Ok(())
    }

    fn hook_error(&self, at: &Location, message: String) -> Diagnostic {
        Diagnostic::error(Code::Runtime, at.clone(), message).with_source(&self.file_text(&at.file))
    }

    /// The schema (and database) a created table or view names, made if it is new.
    fn make_schema_for(&self, name: &ObjectName) {
        let parts: Vec<String> = name
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|i| i.value.to_lowercase()))
            .collect();
        let target = &self.loaded.project.target;
        let (database, schema) = match parts.as_slice() {
            [database, schema, _] => (database.clone(), schema.clone()),
            [schema, _] => (target.database.clone(), schema.clone()),
            _ => return,
        };
        // A schema that cannot be made shows as the statement's own error just after.
        let _ = super::session::ensure_schema(&self.ctx, &database, &schema);
    }
}

/// dbt's `results`, `schemas` and `database_schemas` for `on-run-end`.
fn end_of_run_context(
    project: &crate::project::Project,
    results: &[NodeResult],
) -> minijinja::Value {
    let mut schemas: Vec<String> = Vec::new();
    let mut database_schemas: Vec<(String, String)> = Vec::new();
    for r in results {
        if let Some(node) = project.nodes.get(&r.unique_id)
            && !node.kind.is_test()
        {
            let rel = &node.relation;
            if !schemas.contains(&rel.schema) {
                schemas.push(rel.schema.clone());
            }
            let pair = (rel.database.clone(), rel.schema.clone());
            if !database_schemas.contains(&pair) {
                database_schemas.push(pair);
            }
        }
    }
    let results: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "status": r.status.as_str(),
                "message": r.message,
                "execution_time": r.execution_time,
                "failures": r.failures,
                "node": {
                    "unique_id": r.unique_id,
                    "name": r.name,
                    "resource_type": r.kind,
                    "relation_name": r.relation,
                },
            })
        })
        .collect();
    context! {
        results => crate::jinja::to_value(&results),
        schemas => schemas,
        database_schemas => database_schemas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(sql: &str) -> Vec<String> {
        steps(sql)
            .into_iter()
            .map(|s| match s {
                Step::Run(s) => format!("run: {s}"),
                Step::Skip { statement, why } => format!("skip: {statement} ({why})"),
            })
            .collect()
    }

    #[test]
    fn data_statements_run_and_warehouse_ones_are_named() {
        assert_eq!(
            described(
                "grant select on a.b to group reporter; delete from a.b where x = ';'; vacuum a.b"
            ),
            [
                "skip: GRANT SELECT ON a.b TO GROUP reporter (the playground has no users, groups or privileges)",
                "run: DELETE FROM a.b WHERE x = ';'",
                "skip: VACUUM a.b (the playground's tables need no maintenance)",
            ]
        );
        assert_eq!(
            described("unload ('select 1') to 's3://b/k' iam_role default"),
            [
                "skip: UNLOAD('select 1') TO 's3://b/k' IAM_ROLE DEFAULT (it moves data to or from S3, which the playground cannot reach)"
            ]
        );
        assert!(described("  \n ").is_empty());
    }
}
