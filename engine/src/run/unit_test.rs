//! Runs a unit test as dbt does: each input's rows become a fixture typed like the input
//! (every column it has, NULL where a row is silent, each value cast to the column's type),
//! the model renders with its refs and sources pointing at the fixtures (and `this`, the
//! overridden macros, vars and environment variables as the test says), and its rows are
//! compared with the expected ones over the columns the expectation names, as multisets.
//!
//! The fixtures are tables of a session of the test's own, named as dbt names their CTEs
//! (`__dbt__cte__<input>`), so that the model plans and runs against them and nothing else.
//! What a unit test gets wrong (an input the model does not read, a column the input or the
//! model does not have, a value that does not cast) is reported at its line in the YAML.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use indexmap::IndexMap;
use minijinja::value::Value;
use serde_json::Value as Json;

use super::compile::{CompileResolver, Compiled, Schemas, project_render_ctx};
use super::execute::{self, Origin};
use super::unit_diff::{UnitDiff, cells};
use super::{Engine, NodeResult, Status};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::jinja::{QueryTable, RenderCtx, Rendered, Resolve, SourceMap};
use crate::project::Node;
use crate::project::lookup::ByPackage;
use crate::project::unit_tests::{
    Fixture, FixtureRow, FixtureRows, Given, Input, Overrides, UnitTest,
};
use crate::redshift::functions::format_timestamp;
use crate::redshift::types::redshift_type;
use crate::relation::{Relation, RelationValue};

/// The prefix dbt gives the CTE that stands for an ephemeral model or a unit test's input.
pub(super) const CTE_PREFIX: &str = "__dbt__cte__";

/// A unit test ready to run: its fixtures loaded into a session of its own, the model's
/// query planned against them, and how its output is compared.
pub(super) struct PlannedUnitTest {
    session: SessionContext,
    actual: LogicalPlan,
    /// The model's SQL as it rendered here, to locate what fails while it runs.
    compiled: Compiled,
    model_path: String,
    /// The model's output columns the expectation names, by index into its output.
    compared: Vec<(String, usize)>,
    expected: Expected,
    /// The SQL dbt runs for the test: the model with its fixtures, beside the expectation.
    pub(super) sql: String,
}

enum Expected {
    Rows(Vec<RecordBatch>),
    Query(Box<(LogicalPlan, Fixture)>),
}

/// What a unit test found.
#[derive(Debug, Clone)]
pub struct UnitOutcome {
    pub diff: UnitDiff,
    pub sql: String,
}

/// `ref` and `source` as the tested model sees them inside its unit test: each input is the
/// fixture named for it, and anything else the model reads is an input the test forgot.
#[derive(Debug)]
pub(super) struct UnitResolver {
    refs: ByPackage<String>,
    sources: ByPackage<String>,
    /// By unique id: the fixture's name, with the relation it stands for.
    inputs: HashMap<String, RelationValue>,
    /// Each input's columns and Redshift types, for `adapter.get_columns_in_relation`.
    columns: HashMap<Relation, Vec<(String, String)>>,
    /// The inputs the model's SQL named.
    pub(super) read: Mutex<HashSet<String>>,
    /// Where queries a template runs go: the engine's tables.
    outer: Arc<CompileResolver>,
}

impl UnitResolver {
    fn fixture(&self, unique_id: &str, written: String) -> Result<RelationValue, String> {
        match self.inputs.get(unique_id) {
            Some(v) => {
                self.read
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(unique_id.to_string());
                Ok(v.clone())
            }
            None => Err(format!(
                "{written} is not among the unit test's inputs: add `- input: {written}` with its rows under `given`"
            )),
        }
    }
}

impl Resolve for UnitResolver {
    fn resolve_ref(
        &self,
        from: &str,
        package: Option<&str>,
        name: &str,
    ) -> Result<RelationValue, String> {
        let written = match package {
            Some(p) => format!("ref('{p}', '{name}')"),
            None => format!("ref('{name}')"),
        };
        let id = self
            .refs
            .find(from, package, name)
            .ok_or_else(|| format!("{written} names no model, seed or snapshot"))?;
        self.fixture(id, written)
    }

    fn resolve_source(
        &self,
        from: &str,
        source: &str,
        table: &str,
    ) -> Result<RelationValue, String> {
        let written = format!("source('{source}', '{table}')");
        let id = self
            .sources
            .find_source(from, source, table)
            .ok_or_else(|| format!("{written} is not declared"))?;
        self.fixture(id, written)
    }

    fn columns(&self, relation: &Relation) -> Option<Vec<(String, String)>> {
        self.columns.get(relation).cloned()
    }

    fn run_query(&self, sql: &str) -> Result<QueryTable, String> {
        self.outer.run_query(sql)
    }

    fn selected_resources(&self) -> Arc<Vec<String>> {
        self.outer.selected_resources()
    }
}

/// A value from YAML as the SQL literal dbt's `format_row` makes of it: text quoted (single
/// quotes doubled), NULL for null, anything else as written.
fn literal(value: &Json) -> String {
    match value {
        Json::Null => "null".into(),
        Json::String(s) => format!("'{}'", s.replace('\'', "''")),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        other => format!("'{}'", other.to_string().replace('\'', "''")),
    }
}

fn quoted(column: &str) -> String {
    format!("\"{}\"", column.replace('"', "\"\""))
}

/// dbt's `get_fixture_sql`: one `select` per row, every column of the input cast to its
/// type (NULL where the row is silent), joined by `union all`; no rows is the same columns
/// with `limit 0`.
pub(super) fn fixture_sql(
    columns: &[(String, DataType)],
    rows: &[FixtureRow],
    all_columns: bool,
) -> String {
    let select = |row: Option<&FixtureRow>| {
        let items: Vec<String> = columns
            .iter()
            .filter(|(c, _)| all_columns || row.is_some_and(|r| r.get(c).is_some()))
            .map(|(c, t)| {
                let value = row
                    .and_then(|r| r.get(c))
                    .map_or("null".to_string(), |v| literal(&v.value));
                format!("cast({value} as {}) as {}", redshift_type(t), quoted(c))
            })
            .collect();
        format!("select {}", items.join(", "))
    };
    if rows.is_empty() {
        return format!("{} limit 0", select(None));
    }
    rows.iter()
        .map(|r| select(Some(r)))
        .collect::<Vec<_>>()
        .join("\nunion all\n")
}

/// The compiled form of SQL the engine writes itself, to plan it like a node's.
fn generated(sql: &str) -> Compiled {
    Compiled {
        rendered: Rendered {
            sql: sql.to_string(),
            map: SourceMap::default(),
        },
        template_source: sql.to_string(),
        ephemerals: Vec::new(),
        logs: Vec::new(),
        queried: false,
    }
}

/// A fixture's failure, said at the fixture: at the value the message quotes when there is
/// one, else where its rows are written.
fn at_fixture(
    d: Diagnostic,
    fixture: &Fixture,
    what: &str,
    text: &dyn Fn(&str) -> String,
) -> Diagnostic {
    let message = d.message.trim_start_matches("runtime error: ").to_string();
    let at = match &fixture.rows {
        FixtureRows::Rows(rows) => rows
            .iter()
            .flat_map(|r| &r.values)
            .find(|v| {
                v.value
                    .as_str()
                    .is_some_and(|s| !s.is_empty() && message.contains(&format!("\"{s}\"")))
            })
            .map(|v| v.at.clone()),
        FixtureRows::Sql(_) => None,
    }
    .unwrap_or_else(|| fixture.at.clone());
    let source = text(&at.file);
    Diagnostic::error(Code::UnitTest, at, format!("{what}: {message}")).with_source(&source)
}

fn schema_columns(schema: &SchemaRef) -> Vec<(String, DataType)> {
    schema
        .fields()
        .iter()
        .map(|f| (f.name().to_lowercase(), f.data_type().clone()))
        .collect()
}

impl Engine {
    /// The columns and types of what a unit test's input stands for: as the check planned
    /// it, else as it was built.
    fn input_schema(&self, relation: &Relation, check: &Schemas) -> Option<SchemaRef> {
        let from = |s: &Schemas| {
            s.read()
                .unwrap_or_else(|e| e.into_inner())
                .get(relation)
                .cloned()
        };
        from(check).or_else(|| from(&self.schemas))
    }

    /// The resolver of a unit test whose inputs (by unique id) are the fixtures named for
    /// their relations, with `columns` for each.
    pub(super) fn unit_resolver(
        &self,
        inputs: HashMap<String, RelationValue>,
        columns: HashMap<Relation, Vec<(String, String)>>,
    ) -> UnitResolver {
        let project = &self.loaded.project;
        UnitResolver {
            refs: ByPackage::refs(project, |n| n.unique_id.clone()),
            sources: ByPackage::sources(project, |s| s.unique_id.clone()),
            inputs,
            columns,
            read: Mutex::new(HashSet::new()),
            outer: Arc::new(
                CompileResolver::new(project, self.schemas.clone()).with_session(self.ctx.clone()),
            ),
        }
    }

    pub(super) fn text_of(&self, file: &str) -> String {
        self.loaded.project.files.text(file).unwrap_or_default()
    }

    /// The render context of the tested model inside its unit test: `this` is the fixture
    /// when the test gives rows for it, and the overrides are in place.
    pub(super) fn unit_render_ctx(
        &self,
        model: &Node,
        this_given: bool,
        overrides: &Overrides,
        resolver: Arc<dyn Resolve>,
    ) -> Arc<RenderCtx> {
        let run_started_at = format_timestamp(&self.run_time);
        let mut ctx = project_render_ctx(
            &self.loaded,
            &model.package_name,
            &model.name,
            resolver,
            &run_started_at,
        );
        ctx.this = Some(if this_given {
            RelationValue {
                relation: model.relation.clone(),
                rendered: format!("{CTE_PREFIX}{}", model.relation.identifier),
            }
        } else {
            RelationValue::plain(model.relation.clone())
        });
        ctx.config = model.config.clone();
        ctx.is_incremental = overrides.is_incremental().unwrap_or(false);
        if !overrides.vars.is_empty() {
            let mut vars = (*ctx.vars).clone();
            vars.extend(overrides.vars.clone());
            ctx.vars = Arc::new(vars);
        }
        if !overrides.env_vars.is_empty() {
            let mut env = (*ctx.env_vars).clone();
            env.extend(overrides.env_vars.clone());
            ctx.env_vars = Arc::new(env);
        }
        ctx.macro_overrides = Arc::new(
            overrides
                .macros
                .iter()
                .map(|(k, v)| (k.clone(), crate::jinja::to_value(v)))
                .collect::<IndexMap<String, Value>>(),
        );
        Arc::new(ctx)
    }

    /// Loads one input's fixture into `session` as the table the model reads it by.
    async fn load_fixture(
        &self,
        given: &Given,
        relation: &Relation,
        check: &Schemas,
        session: &SessionContext,
        render: &Arc<RenderCtx>,
    ) -> Result<(String, String), Diagnostic> {
        let text = |f: &str| self.text_of(f);
        let sql = match &given.fixture.rows {
            FixtureRows::Sql(template) => {
                let file = &given.fixture.at.file;
                self.loaded
                    .templates
                    .render(file, template, render)
                    .map_err(|d| {
                        at_fixture(d, &given.fixture, "the sql fixture does not render", &text)
                    })?
                    .sql
            }
            FixtureRows::Rows(rows) => {
                let ephemeral = self
                    .loaded
                    .project
                    .nodes
                    .get(&given.unique_id)
                    .is_some_and(|n| n.materialization.is_ephemeral());
                if ephemeral {
                    return Err(Diagnostic::error(
                        Code::UnitTest,
                        given.at.clone(),
                        format!(
                            "{} is an ephemeral model: its rows must be given with `format: sql`",
                            given.written
                        ),
                    )
                    .with_source(&text(&given.at.file))
                    .with_hint("an ephemeral model has no table whose columns the rows could take, as in dbt"));
                }
                let Some(schema) = self.input_schema(relation, check) else {
                    return Err(Diagnostic::error(
                        Code::UnitTest,
                        given.at.clone(),
                        format!(
                            "the columns of {} are not known: it does not check",
                            given.written
                        ),
                    )
                    .with_source(&text(&given.at.file))
                    .with_hint(
                        "fix the errors of that node first, or give these rows with `format: sql`",
                    ));
                };
                let columns = schema_columns(&schema);
                check_columns(rows, &columns, &given.written, &text)?;
                // dbt-redshift refuses a first row with a NULL in it: Redshift would type the
                // fixture's columns from it.
                if let Some(v) = rows
                    .first()
                    .and_then(|r| r.values.iter().find(|v| v.value.is_null()))
                {
                    return Err(Diagnostic::error(
                        Code::UnitTest,
                        v.at.clone(),
                        format!(
                            "the first row of the fixture for {} has a NULL `{}`: dbt-redshift needs the first row free of NULLs",
                            given.written, v.column
                        ),
                    )
                    .with_source(&text(&v.at.file))
                    .with_hint("put a row without NULLs first, or leave the column out of the first row"));
                }
                fixture_sql(&columns, rows, true)
            }
        };
        let name = format!("{CTE_PREFIX}{}", relation.identifier);
        let (schema, batches) = self
            .run_fixture(
                session,
                &sql,
                &given.fixture,
                &format!("the rows of {}", given.written),
            )
            .await?;
        let table = Relation::new(
            &self.loaded.project.target.database,
            &self.loaded.project.target.schema,
            &name,
        );
        let throwaway: Schemas = Arc::default();
        super::register_table(session, &throwaway, &table, schema, batches).map_err(|e| {
            Diagnostic::error(Code::UnitTest, given.at.clone(), e)
                .with_source(&text(&given.at.file))
        })?;
        Ok((name, sql))
    }

    /// Plans and runs SQL the test's fixture stands for, reporting failures at the fixture.
    async fn run_fixture(
        &self,
        session: &SessionContext,
        sql: &str,
        fixture: &Fixture,
        what: &str,
    ) -> Result<(SchemaRef, Vec<RecordBatch>), Diagnostic> {
        let text = |f: &str| self.text_of(f);
        let plan = self.plan_fixture_sql(session, sql, fixture, what).await?;
        let compiled = generated(sql);
        let origin = Origin {
            file: &fixture.at.file,
            file_text: "",
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        let batches = execute::collect(session, plan.clone(), &origin)
            .await
            .map_err(|d| at_fixture(d, fixture, what, &text))?;
        let schema = unqualified(&output_schema(session, &plan, &batches));
        let batches = batches
            .into_iter()
            .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                Diagnostic::error(Code::UnitTest, fixture.at.clone(), e.to_string())
                    .with_source(&text(&fixture.at.file))
            })?;
        Ok((schema, batches))
    }

    /// Plans SQL the engine wrote for a fixture (or the test's own `sql` rows), reporting a
    /// failure at the fixture.
    async fn plan_fixture_sql(
        &self,
        session: &SessionContext,
        sql: &str,
        fixture: &Fixture,
        what: &str,
    ) -> Result<LogicalPlan, Diagnostic> {
        let text = |f: &str| self.text_of(f);
        let compiled = generated(sql);
        let origin = Origin {
            file: &fixture.at.file,
            file_text: "",
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        let wrap = |d: Diagnostic| at_fixture(d, fixture, what, &text);
        let query = execute::parse_query(sql, &origin).map_err(wrap)?;
        execute::plan(session, query, &origin).await.map_err(wrap)
    }

    /// Loads a unit test's fixtures and plans the model against them; `check` holds the
    /// planned schemas of the project's nodes, which type the inputs.
    pub(super) async fn plan_unit_test(
        &self,
        node: &Node,
        check: &Schemas,
    ) -> Result<PlannedUnitTest, Diagnostic> {
        let Some(test) = node.unit_test.as_deref() else {
            return Err(Diagnostic::error(
                Code::UnitTest,
                node.location.clone(),
                "this unit test could not be read",
            ));
        };
        self.plan_unit(test, &node.location, check).await
    }

    /// Plans `test`, declared at `at`.
    pub(super) async fn plan_unit(
        &self,
        test: &UnitTest,
        at: &Location,
        check: &Schemas,
    ) -> Result<PlannedUnitTest, Diagnostic> {
        let project = &self.loaded.project;
        let text = |f: &str| self.text_of(f);
        let Some(model) = project.nodes.get(&test.model) else {
            return Err(Diagnostic::error(
                Code::UnitTest,
                at.clone(),
                format!("the tested model {} is missing", test.model),
            ));
        };
        if let Some(d) = model
            .parse_error
            .as_ref()
            .or(model.materialization.problems().first())
        {
            return Err(d.clone());
        }
        let session = super::session(&project.target, self.run_time, self.memory.clone());
        let mut inputs = HashMap::new();
        let mut columns = HashMap::new();
        let mut relations = Vec::new();
        for given in &test.given {
            let relation = match &given.input {
                Input::This => model.relation.clone(),
                _ => project
                    .relation_of(&given.unique_id)
                    .unwrap_or(&model.relation)
                    .clone(),
            };
            if given.input != Input::This {
                inputs.insert(
                    given.unique_id.clone(),
                    RelationValue {
                        relation: relation.clone(),
                        rendered: format!("{CTE_PREFIX}{}", relation.identifier),
                    },
                );
            }
            if let Some(schema) = self.input_schema(&relation, check) {
                columns.insert(
                    relation.clone(),
                    schema
                        .fields()
                        .iter()
                        .map(|f| (f.name().clone(), redshift_type(f.data_type())))
                        .collect(),
                );
            }
            relations.push(relation);
        }
        let resolver = Arc::new(self.unit_resolver(inputs, columns));
        let this_given = test.given.iter().any(|g| g.input == Input::This);
        let render = self.unit_render_ctx(model, this_given, &test.overrides, resolver.clone());
        let mut fixtures = Vec::new();
        for (given, relation) in test.given.iter().zip(&relations) {
            fixtures.push(
                self.load_fixture(given, relation, check, &session, &render)
                    .await?,
            );
        }
        // The model's own errors are said at its line, with the unit test that ran into them.
        let in_test = |d: Diagnostic| {
            if d.location.file == at.file {
                d
            } else {
                d.with_label(at.clone(), "in this unit test", &text(&at.file))
            }
        };
        let compiled =
            super::compile::compile_with_ctx(&self.loaded, model, &render).map_err(in_test)?;
        let read = resolver
            .read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(unread) = test
            .given
            .iter()
            .find(|g| g.input != Input::This && !read.contains(&g.unique_id))
        {
            return Err(Diagnostic::error(
                Code::UnitTest,
                unread.at.clone(),
                format!(
                    "model `{}` does not read {}, so its rows cannot matter",
                    model.name, unread.written
                ),
            )
            .with_source(&text(&unread.at.file))
            .with_hint("remove this input, or check the model's refs and sources"));
        }
        let model_text = text(&model.path);
        let origin = Origin {
            file: &model.path,
            file_text: &model_text,
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        let query = execute::parse_query(&compiled.rendered.sql, &origin).map_err(in_test)?;
        let with_fixtures = execute::inject_ctes_text(
            &compiled.rendered.sql,
            &query,
            &fixtures
                .iter()
                .map(|(name, sql)| (name.trim_start_matches(CTE_PREFIX).to_string(), sql.clone()))
                .collect::<Vec<_>>(),
        );
        let actual = execute::plan(&session, query, &origin)
            .await
            .map_err(in_test)?;
        // The types the rows come out with, after type coercion: the expectation is cast to them.
        let output = schema_columns(&unqualified(&output_schema(&session, &actual, &[])));
        let expect = &test.expect;
        let expected_columns: Vec<String> = match &expect.rows {
            FixtureRows::Rows(rows) => match rows.first() {
                Some(first) => first.values.iter().map(|v| v.column.clone()).collect(),
                None => output.iter().map(|(c, _)| c.clone()).collect(),
            },
            FixtureRows::Sql(_) => output.iter().map(|(c, _)| c.clone()).collect(),
        };
        let mut compared = Vec::new();
        for column in &expected_columns {
            match output.iter().position(|(c, _)| c == column) {
                Some(i) => compared.push((column.clone(), i)),
                None => {
                    let at = match &expect.rows {
                        FixtureRows::Rows(rows) => rows
                            .first()
                            .and_then(|r| r.get(column))
                            .map_or(expect.at.clone(), |v| v.at.clone()),
                        FixtureRows::Sql(_) => expect.at.clone(),
                    };
                    return Err(unknown_column(
                        at,
                        column,
                        "the expected output",
                        &output,
                        &text,
                    ));
                }
            }
        }
        let (expected, expected_sql) = match &expect.rows {
            FixtureRows::Rows(rows) if rows.is_empty() => (
                Expected::Rows(Vec::new()),
                "select * from dbt_internal_unit_test_actual\nlimit 0".to_string(),
            ),
            FixtureRows::Rows(rows) => {
                for row in rows {
                    let names: Vec<&str> = row.values.iter().map(|v| v.column.as_str()).collect();
                    if names
                        != expected_columns
                            .iter()
                            .map(String::as_str)
                            .collect::<Vec<_>>()
                    {
                        return Err(Diagnostic::error(
                            Code::UnitTest,
                            row.at.clone(),
                            format!(
                                "this expected row names {} but the first names {}: every expected row must name the same columns",
                                names.join(", "),
                                expected_columns.join(", ")
                            ),
                        )
                        .with_source(&text(&row.at.file)));
                    }
                }
                let typed: Vec<(String, DataType)> = compared
                    .iter()
                    .map(|(c, i)| (c.clone(), output[*i].1.clone()))
                    .collect();
                let sql = fixture_sql(&typed, rows, false);
                let plan = self
                    .plan_fixture_sql(&session, &sql, expect, "the expected rows")
                    .await?;
                (Expected::Query(Box::new((plan, expect.clone()))), sql)
            }
            FixtureRows::Sql(template) => {
                let sql = self
                    .loaded
                    .templates
                    .render(&expect.at.file, template, &render)
                    .map_err(|d| at_fixture(d, expect, "the expected sql does not render", &text))?
                    .sql;
                let plan = self
                    .plan_fixture_sql(&session, &sql, expect, "the expected sql")
                    .await?;
                (Expected::Query(Box::new((plan, expect.clone()))), sql)
            }
        };
        let names: Vec<String> = compared.iter().map(|(c, _)| quoted(c)).collect();
        let sql = format!(
            "-- Build actual result given inputs\nwith dbt_internal_unit_test_actual as (\n  select\n    {cols}, 'actual' as \"actual_or_expected\"\n  from (\n    {model}\n  ) _dbt_internal_unit_test_actual\n),\n-- Build expected result\ndbt_internal_unit_test_expected as (\n  select\n    {cols}, 'expected' as \"actual_or_expected\"\n  from (\n    {expected}\n  ) _dbt_internal_unit_test_expected\n)\n-- Union actual and expected results\nselect * from dbt_internal_unit_test_actual\nunion all\nselect * from dbt_internal_unit_test_expected\n",
            cols = names.join(", "),
            model = with_fixtures.trim(),
            expected = expected_sql.trim(),
        );
        Ok(PlannedUnitTest {
            session,
            actual,
            compiled,
            model_path: model.path.clone(),
            compared,
            expected,
            sql,
        })
    }

    /// Runs a unit test: its rows against the expected ones.
    pub(super) async fn run_unit_test(&self, node: &Node) -> Result<UnitOutcome, Diagnostic> {
        let Some(test) = node.unit_test.as_deref() else {
            return Err(Diagnostic::error(
                Code::UnitTest,
                node.location.clone(),
                "this unit test could not be read",
            ));
        };
        self.run_unit(test, &node.location).await
    }

    /// Runs `test`, declared at `at`.
    pub(super) async fn run_unit(
        &self,
        test: &UnitTest,
        at: &Location,
    ) -> Result<UnitOutcome, Diagnostic> {
        let check = self
            .last_check
            .as_ref()
            .map(|c| c.schemas.clone())
            .unwrap_or_default();
        let PlannedUnitTest {
            session,
            actual,
            compiled,
            model_path,
            compared,
            expected,
            sql,
        } = self.plan_unit(test, at, &check).await?;
        let text = |f: &str| self.text_of(f);
        let model_text = text(&model_path);
        let origin = Origin {
            file: &model_path,
            file_text: &model_text,
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        let actual = execute::collect(&session, actual, &origin).await?;
        let indexes: Vec<usize> = compared.iter().map(|(_, i)| *i).collect();
        let actual_rows = cells(&actual, &indexes);
        let expected_rows = match expected {
            Expected::Rows(batches) => cells(&batches, &indexes),
            Expected::Query(query) => {
                let (plan, fixture) = *query;
                let batches = execute::collect(&session, plan, &origin)
                    .await
                    .map_err(|d| at_fixture(d, &fixture, "the expected rows", &text))?;
                let all: Vec<usize> = (0..indexes.len()).collect();
                cells(&batches, &all)
            }
        };
        let columns = compared.into_iter().map(|(c, _)| c).collect();
        Ok(UnitOutcome {
            diff: UnitDiff::compare(columns, expected_rows, actual_rows),
            sql,
        })
    }

    /// A unit test's result as dbt reports it: `pass`, or `fail` with one failure and the
    /// table of differences as its message.
    pub(super) async fn unit_test_result(&mut self, node: &Node) -> NodeResult {
        let start = self.clock.seconds();
        let mut result = match self.run_unit_test(node).await {
            Ok(outcome) => {
                let failed = outcome.diff.has_difference();
                self.compiled.insert(node.unique_id.clone(), outcome.sql);
                let message = failed
                    .then(|| format!("actual differs from expected:\n\n{}", outcome.diff.render()));
                let status = if failed { Status::Fail } else { Status::Pass };
                let mut r = self.result(node, status, message);
                r.failures = Some(u64::from(failed));
                r.unit_diff = Some(Box::new(outcome.diff));
                r
            }
            Err(d) => self.error_result(node, d),
        };
        result.execution_time = self.clock.seconds() - start;
        result
    }
}

fn unknown_column(
    at: Location,
    column: &str,
    fixture: &str,
    columns: &[(String, DataType)],
    text: &dyn Fn(&str) -> String,
) -> Diagnostic {
    let accepted: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
    let mut d = Diagnostic::error(
        Code::UnitTest,
        at.clone(),
        format!(
            "`{column}` is not a column of {fixture}; its columns are {}",
            accepted.join(", ")
        ),
    )
    .with_source(&text(&at.file));
    if let Some(best) = crate::project::load::suggest(
        column,
        accepted
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .iter(),
    ) {
        d = d.with_hint(format!("did you mean `{best}`?"));
    }
    d
}

/// Every value a fixture's rows name must be a column of the input.
fn check_columns(
    rows: &[FixtureRow],
    columns: &[(String, DataType)],
    input: &str,
    text: &dyn Fn(&str) -> String,
) -> Result<(), Diagnostic> {
    for row in rows {
        for v in &row.values {
            if !columns.iter().any(|(c, _)| *c == v.column) {
                return Err(unknown_column(
                    v.at.clone(),
                    &v.column,
                    input,
                    columns,
                    text,
                ));
            }
        }
    }
    Ok(())
}

/// The types a query's rows come out with: its batches', or, with no rows, its plan's after
/// type coercion (the planner's own schema comes before it).
pub(super) fn output_schema(
    session: &SessionContext,
    plan: &LogicalPlan,
    batches: &[RecordBatch],
) -> Schema {
    match batches.first() {
        Some(b) => b.schema().as_ref().clone(),
        None => {
            let coerced = session.state().optimize(plan);
            coerced
                .as_ref()
                .map_or(plan.schema(), |p| p.schema())
                .as_arrow()
                .clone()
        }
    }
}

/// A schema with its columns' table qualifiers dropped and names lower-cased.
fn unqualified(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| Field::new(f.name().to_lowercase(), f.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::unit_tests::FixtureValue;

    fn row(values: &[(&str, Json)]) -> FixtureRow {
        FixtureRow {
            at: Location::file("p.yml"),
            values: values
                .iter()
                .map(|(c, v)| FixtureValue {
                    column: c.to_string(),
                    value: v.clone(),
                    at: Location::file("p.yml"),
                })
                .collect(),
        }
    }

    #[test]
    fn a_fixture_casts_every_column_and_fills_the_silent_ones_with_null() {
        let columns = vec![
            ("id".to_string(), DataType::Int32),
            ("name".to_string(), DataType::Utf8),
        ];
        let rows = vec![
            row(&[("id", Json::from(1)), ("name", Json::from("O'Hara"))]),
            row(&[("id", Json::from(2))]),
        ];
        assert_eq!(
            fixture_sql(&columns, &rows, true),
            "select cast(1 as integer) as \"id\", cast('O''Hara' as varchar) as \"name\"\nunion all\nselect cast(2 as integer) as \"id\", cast(null as varchar) as \"name\""
        );
        assert_eq!(
            fixture_sql(&columns, &[], true),
            "select cast(null as integer) as \"id\", cast(null as varchar) as \"name\" limit 0"
        );
        assert_eq!(
            fixture_sql(&columns, &rows[1..], false),
            "select cast(2 as integer) as \"id\""
        );
    }
}
