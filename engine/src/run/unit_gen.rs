//! Writes a unit test from what a build produced: the model's first output rows become the
//! expectation, and its inputs are cut down to the rows (and columns) those output rows
//! depend on. Which rows those are is found by running the model on smaller and smaller
//! inputs (delta debugging: drop chunks of rows while the chosen output rows still come
//! out), since a row's provenance through joins, aggregates and windows cannot be read off
//! the SQL in general. The result is checked the way it will run: as a unit test.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, UInt32Array, new_null_array};
use datafusion::arrow::compute::{concat_batches, take};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::sql::sqlparser::ast::Query;
use serde_json::Value as Json;

use super::Engine;
use super::execute::{self, Origin};
use super::unit_diff::{Cell, cells};
use super::unit_test::CTE_PREFIX;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::project::unit_tests::{
    Fixture, FixtureRow, FixtureRows, FixtureValue, Given, Input, Overrides, UnitTest,
};
use crate::project::{Node, NodeKind};
use crate::redshift::types::redshift_type;
use crate::relation::{Relation, RelationValue};

/// How many times the model may run while its inputs are cut down: enough for inputs of a
/// few thousand rows; past it, what was found so far is kept (still a passing test).
const BUDGET: usize = 400;

/// A unit test written from a built model.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenUnitTest {
    pub name: String,
    /// The model's name.
    pub model: String,
    /// The `unit_tests:` document.
    pub yaml: String,
    /// Where it would go: beside the model, `<model>_unit_tests.yml`.
    pub path: String,
    /// Each input as written and how many rows it kept.
    pub inputs: Vec<(String, usize)>,
    pub expected_rows: usize,
}

/// One input of the model with the rows the build gave it.
struct Parent {
    unique_id: String,
    written: String,
    relation: Relation,
    ephemeral: bool,
    batch: RecordBatch,
}

impl Engine {
    /// Writes a unit test for model `name` from its built inputs: `rows` of its output rows
    /// are the expectation. The parents must have been built.
    pub async fn write_unit_test(
        &mut self,
        name: &str,
        rows: usize,
    ) -> Result<WrittenUnitTest, Diagnostic> {
        let Some(model) = self
            .loaded
            .project
            .nodes
            .values()
            .find(|n| n.kind == NodeKind::Model && n.name == name)
            .cloned()
        else {
            return Err(Diagnostic::error(
                Code::Selector,
                Location::option("--select"),
                format!("no model is named `{name}`"),
            ));
        };
        if model.materialization.is_ephemeral() {
            return Err(Diagnostic::error(
                Code::UnitTest,
                model.location.clone(),
                format!("`{name}` is ephemeral: dbt unit-tests the models that read it"),
            ));
        }
        let parents = self.parents_as_built(&model).await?;
        let inputs: HashMap<String, RelationValue> = parents
            .iter()
            .map(|p| {
                (
                    p.unique_id.clone(),
                    RelationValue {
                        relation: p.relation.clone(),
                        rendered: format!("{CTE_PREFIX}{}", p.relation.identifier),
                    },
                )
            })
            .collect();
        let columns = parents
            .iter()
            .map(|p| {
                let cols = p
                    .batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| (f.name().clone(), redshift_type(f.data_type())))
                    .collect();
                (p.relation.clone(), cols)
            })
            .collect();
        let resolver = Arc::new(self.unit_resolver(inputs, columns));
        let render = self.unit_render_ctx(&model, false, &Overrides::default(), resolver);
        let compiled = super::compile::compile_with_ctx(&self.loaded, &model, &render)?;
        let model_text = self.text_of(&model.path);
        let origin = Origin {
            file: &model.path,
            file_text: &model_text,
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        let query = execute::parse_query(&compiled.rendered.sql, &origin)?;
        let mut runner = Runner {
            engine: self,
            parents: &parents,
            query: &query,
            origin: &origin,
            runs: 0,
        };
        let all: Vec<Kept> = parents
            .iter()
            .map(|p| Kept {
                rows: (0..p.batch.num_rows()).collect(),
                nulled: HashSet::new(),
            })
            .collect();
        let full = runner.output(&all).await?;
        if full.is_empty() {
            return Err(Diagnostic::error(
                Code::UnitTest,
                model.location.clone(),
                format!(
                    "`{name}` gives no rows on its inputs as built, so there is nothing to expect"
                ),
            )
            .with_hint("build the project, or add data to the model's sources"));
        }
        let targets: Vec<Vec<Cell>> = full.into_iter().take(rows.max(1)).collect();
        let mut kept = runner.narrowed(&all, &targets).await?;
        for i in 0..parents.len() {
            kept[i].rows = runner.fewest_rows(&kept, i, &targets).await?;
        }
        // A column is left out when the targets come out without it, whatever order the
        // rows come in: a tie its values broke (a window's order) is not left to chance.
        for i in 0..parents.len() {
            for c in 0..parents[i].batch.num_columns() {
                let mut trial = kept.clone();
                trial[i].nulled.insert(c);
                if !runner.keeps(&trial, &targets).await? {
                    continue;
                }
                let mut reversed = trial.clone();
                for k in &mut reversed {
                    k.rows.reverse();
                }
                if runner.keeps(&reversed, &targets).await? {
                    kept = trial;
                }
            }
        }
        let (schema, expected) = runner.output_batches(&kept).await?;
        let test_name = self.free_test_name(&model);
        let test = unit_test_of(&model, &parents, &kept, &schema, &expected);
        let yaml = yaml_of(&test_name, &model, &test, &self.run_time.to_string());
        // The test must pass as written: run it as the unit test it is.
        let outcome = self
            .run_unit(&test, &model.location)
            .await
            .map_err(|d| Diagnostic {
                message: format!(
                    "the unit test written for `{name}` does not run: {}",
                    d.message
                ),
                ..d
            })?;
        if outcome.diff.has_difference() {
            return Err(Diagnostic::error(
                Code::UnitTest,
                model.location.clone(),
                format!(
                    "the unit test written for `{name}` does not pass, so it is not offered:\n{}",
                    outcome.diff.render()
                ),
            ));
        }
        let folder = model.path.rsplit_once('/').map_or("", |(d, _)| d);
        let path = if folder.is_empty() {
            format!("{}_unit_tests.yml", model.name)
        } else {
            format!("{folder}/{}_unit_tests.yml", model.name)
        };
        Ok(WrittenUnitTest {
            name: test_name,
            model: model.name.clone(),
            yaml,
            path,
            inputs: parents
                .iter()
                .zip(&kept)
                .map(|(p, k)| (p.written.clone(), k.rows.len()))
                .collect(),
            expected_rows: expected.num_rows(),
        })
    }

    /// `<model>_as_built`, numbered when the project has a unit test of that name already.
    fn free_test_name(&self, model: &Node) -> String {
        let taken = |n: &str| {
            self.loaded.project.nodes.contains_key(&format!(
                "unit_test.{}.{}.{n}",
                model.package_name, model.name
            ))
        };
        let base = format!("{}_as_built", model.name);
        (1..)
            .map(|i| {
                if i == 1 {
                    base.clone()
                } else {
                    format!("{base}_{i}")
                }
            })
            .find(|n| !taken(n))
            .unwrap_or(base)
    }

    /// Each input of `model` with its rows as the last build left them.
    async fn parents_as_built(&mut self, model: &Node) -> Result<Vec<Parent>, Diagnostic> {
        let mut out = Vec::new();
        for id in &model.depends_on {
            let project = &self.loaded.project;
            let (relation, written, ephemeral) = if let Some(s) = project.sources.get(id) {
                (
                    s.relation.clone(),
                    format!("source('{}', '{}')", s.source_name, s.name),
                    false,
                )
            } else if let Some(n) = project.nodes.get(id) {
                let written = if n.package_name == project.name {
                    format!("ref('{}')", n.name)
                } else {
                    format!("ref('{}', '{}')", n.package_name, n.name)
                };
                if !n.materialization.is_ephemeral() && !self.built.contains(id) {
                    return Err(Diagnostic::error(
                        Code::UnitTest,
                        model.location.clone(),
                        format!("`{}` has not been built, so its rows are not known", n.name),
                    )
                    .with_hint("build the project first"));
                }
                (
                    n.relation.clone(),
                    written,
                    n.materialization.is_ephemeral(),
                )
            } else {
                continue;
            };
            let batches = if ephemeral {
                let Some(node) = project.nodes.get(id).cloned() else {
                    continue;
                };
                let compiled = self.compile(&node)?;
                let text = self.text_of(&node.path);
                let origin = Origin {
                    file: &node.path,
                    file_text: &text,
                    compiled: &compiled,
                    templates: &self.loaded.templates,
                };
                let (query, _) = self.query_with_ephemerals(&compiled, &origin)?;
                self.execute_batches(query, &origin).await?.1
            } else {
                self.query(&format!("select * from {relation}")).await?
            };
            let schema = match batches.first() {
                Some(b) => b.schema(),
                None => self
                    .schemas
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&relation)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(datafusion::arrow::datatypes::Schema::empty())),
            };
            let batch = concat_batches(&schema, &batches).map_err(|e| {
                Diagnostic::error(Code::Runtime, model.location.clone(), e.to_string())
            })?;
            out.push(Parent {
                unique_id: id.clone(),
                written,
                relation,
                ephemeral,
                batch,
            });
        }
        Ok(out)
    }
}

/// What is kept of one input: which rows, and which columns are left out (NULL).
#[derive(Debug, Clone)]
struct Kept {
    rows: Vec<usize>,
    nulled: HashSet<usize>,
}

/// Runs the model on cut-down inputs.
struct Runner<'a> {
    engine: &'a Engine,
    parents: &'a [Parent],
    query: &'a Query,
    origin: &'a Origin<'a>,
    runs: usize,
}

impl Runner<'_> {
    fn input(&self, parent: &Parent, kept: &Kept) -> Result<RecordBatch, String> {
        let indices = UInt32Array::from(
            kept.rows
                .iter()
                .map(|&i| u32::try_from(i).unwrap_or(u32::MAX))
                .collect::<Vec<_>>(),
        );
        let columns: Vec<ArrayRef> = parent
            .batch
            .columns()
            .iter()
            .enumerate()
            .map(|(c, array)| {
                if kept.nulled.contains(&c) {
                    Ok(new_null_array(array.data_type(), kept.rows.len()))
                } else {
                    take(array.as_ref(), &indices, None).map_err(|e| e.to_string())
                }
            })
            .collect::<Result<_, _>>()?;
        RecordBatch::try_new(parent.batch.schema(), columns).map_err(|e| e.to_string())
    }

    async fn output_batches(
        &mut self,
        kept: &[Kept],
    ) -> Result<(SchemaRef, RecordBatch), Diagnostic> {
        self.runs += 1;
        let project = &self.engine.loaded.project;
        let session = super::session(
            &project.target,
            self.engine.run_time,
            self.engine.memory.clone(),
        );
        let fail =
            |e: String| Diagnostic::error(Code::Runtime, Location::file(self.origin.file), e);
        for (parent, k) in self.parents.iter().zip(kept) {
            let batch = self.input(parent, k).map_err(fail)?;
            let table = Relation::new(
                &project.target.database,
                &project.target.schema,
                &format!("{CTE_PREFIX}{}", parent.relation.identifier),
            );
            let throwaway: super::Schemas = Arc::default();
            super::register_table(&session, &throwaway, &table, batch.schema(), vec![batch])
                .map_err(fail)?;
        }
        let plan = execute::plan(&session, Box::new(self.query.clone()), self.origin).await?;
        let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
        let batches = execute::collect(&session, plan, self.origin).await?;
        let batch = concat_batches(&schema, &batches).map_err(|e| fail(e.to_string()))?;
        Ok((schema, batch))
    }

    async fn output(&mut self, kept: &[Kept]) -> Result<Vec<Vec<Cell>>, Diagnostic> {
        let (_, batch) = self.output_batches(kept).await?;
        let all: Vec<usize> = (0..batch.num_columns()).collect();
        Ok(cells(&[batch], &all))
    }

    /// Whether every target row still comes out (as many times as chosen).
    async fn keeps(&mut self, kept: &[Kept], targets: &[Vec<Cell>]) -> Result<bool, Diagnostic> {
        if self.runs >= BUDGET {
            return Ok(false);
        }
        let mut out = self.output(kept).await?;
        Ok(targets
            .iter()
            .all(|t| match out.iter().position(|r| r == t) {
                Some(i) => {
                    out.swap_remove(i);
                    true
                }
                None => false,
            }))
    }

    /// A first guess at what matters: the rows of each input that share a value with the
    /// target rows in a column of the same name (keys that pass through). Kept only when the
    /// targets still come out of it.
    async fn narrowed(
        &mut self,
        all: &[Kept],
        targets: &[Vec<Cell>],
    ) -> Result<Vec<Kept>, Diagnostic> {
        let (schema, _) = self.output_batches(all).await?;
        let names: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| f.name().to_lowercase())
            .collect();
        let mut guess = all.to_vec();
        for (p, parent) in self.parents.iter().enumerate() {
            let shared: Vec<(usize, usize)> = parent
                .batch
                .schema()
                .fields()
                .iter()
                .enumerate()
                .filter_map(|(c, f)| {
                    let out = names.iter().position(|n| *n == f.name().to_lowercase())?;
                    Some((c, out))
                })
                .collect();
            if shared.is_empty() {
                continue;
            }
            let rows = cells(
                std::slice::from_ref(&parent.batch),
                &shared.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            );
            guess[p].rows = (0..rows.len())
                .filter(|&r| {
                    shared.iter().enumerate().any(|(k, (_, out))| {
                        rows[r][k].is_some() && targets.iter().any(|t| t[*out] == rows[r][k])
                    })
                })
                .collect();
        }
        if self.keeps(&guess, targets).await? {
            Ok(guess)
        } else {
            Ok(all.to_vec())
        }
    }

    /// Input `i`'s fewest rows that keep the targets coming out, the others held as they
    /// are: delta debugging over chunks that halve until single rows.
    async fn fewest_rows(
        &mut self,
        kept: &[Kept],
        i: usize,
        targets: &[Vec<Cell>],
    ) -> Result<Vec<usize>, Diagnostic> {
        let mut rows = kept[i].rows.clone();
        let mut parts = 2usize;
        while !rows.is_empty() {
            let size = rows.len().div_ceil(parts);
            let mut cut = false;
            for start in (0..rows.len()).step_by(size.max(1)) {
                let mut trial_rows = rows.clone();
                trial_rows.drain(start..(start + size).min(rows.len()));
                let mut trial = kept.to_vec();
                trial[i].rows = trial_rows.clone();
                if self.keeps(&trial, targets).await? {
                    rows = trial_rows;
                    parts = (parts - 1).max(2);
                    cut = true;
                    break;
                }
            }
            if !cut {
                if size <= 1 {
                    break;
                }
                parts = (parts * 2).min(rows.len());
            }
        }
        Ok(rows)
    }
}

/// A value as YAML gives it back: numbers and booleans as such, the rest as text.
fn json_of(cell: &str, data_type: &DataType) -> Json {
    let number = || {
        cell.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number)
    };
    match data_type {
        t if t.is_integer() => cell
            .parse::<i64>()
            .map(Json::from)
            .unwrap_or_else(|_| Json::String(cell.to_string())),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            number().unwrap_or_else(|| Json::String(cell.to_string()))
        }
        // A decimal whose digits a double holds exactly is a number; a longer one stays
        // text, which its cast reads exactly.
        DataType::Decimal128(..) | DataType::Decimal256(..) => {
            let digits = cell.chars().filter(char::is_ascii_digit).count();
            match number() {
                Some(n) if digits <= 15 => n,
                _ => Json::String(cell.to_string()),
            }
        }
        DataType::Boolean => match cell {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            other => Json::String(other.to_string()),
        },
        _ => Json::String(cell.to_string()),
    }
}

/// Rows of `batch` as fixture rows: the columns not left out, NULLs omitted (dbt fills an
/// omitted column with NULL, and dbt-redshift refuses an explicit NULL in a first row).
fn fixture_rows(batch: &RecordBatch, left_out: &HashSet<usize>, file: &str) -> Vec<FixtureRow> {
    let schema = batch.schema();
    let all: Vec<usize> = (0..batch.num_columns()).collect();
    cells(std::slice::from_ref(batch), &all)
        .into_iter()
        .map(|row| FixtureRow {
            at: Location::file(file),
            values: row
                .into_iter()
                .enumerate()
                .filter(|(c, _)| !left_out.contains(c))
                .filter_map(|(c, v)| {
                    let field = schema.field(c);
                    Some(FixtureValue {
                        column: field.name().to_lowercase(),
                        value: json_of(&v?, field.data_type()),
                        at: Location::file(file),
                    })
                })
                .collect(),
        })
        .collect()
}

/// The unit test the cut-down inputs and the output on them make.
fn unit_test_of(
    model: &Node,
    parents: &[Parent],
    kept: &[Kept],
    schema: &SchemaRef,
    expected: &RecordBatch,
) -> UnitTest {
    let file = "<written unit test>";
    let given = parents
        .iter()
        .zip(kept)
        .map(|(p, k)| {
            let indices = UInt32Array::from(
                k.rows
                    .iter()
                    .map(|&i| u32::try_from(i).unwrap_or(u32::MAX))
                    .collect::<Vec<_>>(),
            );
            let columns: Vec<ArrayRef> = p
                .batch
                .columns()
                .iter()
                .filter_map(|a| take(a.as_ref(), &indices, None).ok())
                .collect();
            let batch = RecordBatch::try_new(p.batch.schema(), columns)
                .unwrap_or_else(|_| RecordBatch::new_empty(p.batch.schema()));
            let rows = fixture_rows(&batch, &k.nulled, file);
            let fixture = if p.ephemeral {
                let typed: Vec<(String, DataType)> = p
                    .batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| (f.name().to_lowercase(), f.data_type().clone()))
                    .collect();
                FixtureRows::Sql(super::unit_test::fixture_sql(&typed, &rows, true))
            } else {
                FixtureRows::Rows(rows)
            };
            Given {
                input: Input::Ref {
                    package: None,
                    name: p.relation.identifier.clone(),
                },
                written: p.written.clone(),
                unique_id: p.unique_id.clone(),
                fixture: Fixture {
                    rows: fixture,
                    at: Location::file(file),
                },
                at: Location::file(file),
            }
        })
        .collect();
    let expected = RecordBatch::try_new(schema.clone(), expected.columns().to_vec())
        .unwrap_or_else(|_| RecordBatch::new_empty(schema.clone()));
    let mut rows = fixture_rows(&expected, &HashSet::new(), file);
    // Every expected row names the same columns: NULLs are written out here.
    let names: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().to_lowercase())
        .collect();
    for row in &mut rows {
        row.values = names
            .iter()
            .map(|n| {
                row.get(n).cloned().unwrap_or(FixtureValue {
                    column: n.clone(),
                    value: Json::Null,
                    at: Location::file(file),
                })
            })
            .collect();
    }
    UnitTest {
        model: model.unique_id.clone(),
        given,
        expect: Fixture {
            rows: FixtureRows::Rows(rows),
            at: Location::file(file),
        },
        overrides: Overrides::default(),
        file: file.to_string(),
    }
}

/// A key as YAML reads it plainly, or quoted.
fn yaml_key(key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        key.to_string()
    } else {
        Json::String(key.to_string()).to_string()
    }
}

fn yaml_row(row: &FixtureRow) -> String {
    let items: Vec<String> = row
        .values
        .iter()
        .map(|v| {
            let value = match &v.value {
                Json::Null => "null".to_string(),
                other => other.to_string(),
            };
            format!("{}: {value}", yaml_key(&v.column))
        })
        .collect();
    format!("{{{}}}", items.join(", "))
}

fn yaml_rows(out: &mut String, indent: &str, fixture: &Fixture) {
    match &fixture.rows {
        FixtureRows::Rows(rows) if rows.is_empty() => {
            let _ = writeln!(out, "{indent}rows: []");
        }
        FixtureRows::Rows(rows) => {
            let _ = writeln!(out, "{indent}rows:");
            for r in rows {
                let _ = writeln!(out, "{indent}  - {}", yaml_row(r));
            }
        }
        FixtureRows::Sql(sql) => {
            let _ = writeln!(out, "{indent}format: sql");
            let _ = writeln!(out, "{indent}rows: |");
            for line in sql.lines() {
                let _ = writeln!(out, "{indent}  {line}");
            }
        }
    }
}

/// The `unit_tests:` document for `test`.
fn yaml_of(name: &str, model: &Node, test: &UnitTest, run_time: &str) -> String {
    let mut out = String::from("unit_tests:\n");
    let _ = writeln!(out, "  - name: {name}");
    let _ = writeln!(
        out,
        "    description: {}",
        Json::String(format!(
            "Written by modelplay from the rows `{}` gave on {run_time}.",
            model.name
        ))
    );
    let _ = writeln!(out, "    model: {}", model.name);
    let _ = writeln!(out, "    given:");
    for g in &test.given {
        let _ = writeln!(out, "      - input: {}", g.written);
        yaml_rows(&mut out, "        ", &g.fixture);
    }
    let _ = writeln!(out, "    expect:");
    yaml_rows(&mut out, "      ", &test.expect);
    out
}

/// The text of `path` once `yaml` (a `unit_tests:` document) is added to it: the file as
/// it is with the new entries at the end of its `unit_tests:` list when that list is the
/// file's last key, else `None` (the caller then picks another file).
pub fn add_to_file(existing: Option<&str>, yaml: &str) -> Option<String> {
    let Some(text) = existing.filter(|t| !t.trim().is_empty()) else {
        return Some(yaml.to_string());
    };
    let last_key = text.lines().rfind(|l| {
        l.chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != '#' && c != '-')
    })?;
    if last_key.trim_end() != "unit_tests:" {
        return None;
    }
    let entries = yaml.strip_prefix("unit_tests:\n")?;
    let mut out = text.trim_end().to_string();
    out.push('\n');
    out.push('\n');
    out.push_str(entries);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_kind() {
        assert_eq!(json_of("3", &DataType::Int64), Json::from(3));
        assert_eq!(
            json_of("7.50", &DataType::Decimal128(16, 2)),
            Json::from(7.5)
        );
        assert_eq!(
            json_of("12345678901234567.89", &DataType::Decimal128(38, 2)),
            Json::from("12345678901234567.89")
        );
        assert_eq!(json_of("true", &DataType::Boolean), Json::Bool(true));
        assert_eq!(
            json_of("2024-06-01", &DataType::Date32),
            Json::from("2024-06-01")
        );
    }

    #[test]
    fn a_written_test_goes_at_the_end_of_a_unit_tests_file() {
        let new = "unit_tests:\n  - name: b\n";
        assert_eq!(add_to_file(None, new).unwrap(), new);
        assert_eq!(
            add_to_file(Some("unit_tests:\n  - name: a\n"), new).unwrap(),
            "unit_tests:\n  - name: a\n\n  - name: b\n"
        );
        assert_eq!(add_to_file(Some("models:\n  - name: m\n"), new), None);
    }
}
