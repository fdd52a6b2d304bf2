//! Compare changes: what an edit did to a model and to everything built from it, as dbt
//! Cloud's "compare changes" and SQLMesh's `table_diff` show it. Two builds' tables are
//! matched row by row on the model's unique key (its `unique` test, its `unique_key`
//! config, or a column the user picks; else the whole row), and the result says which rows
//! were added, removed or changed, how many values each column changed, how the columns
//! themselves changed, and which tests changed status.

use std::collections::{HashMap, HashSet};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use serde::Serialize;

use crate::dag::Dag;
use crate::project::Project;
use crate::redshift::types::redshift_type;
use crate::run::{Cell, Engine, RowChange, RunResults, Status};

/// The tables a build left and the statuses its tests ended with: one side of a comparison.
#[derive(Debug, Clone, Default)]
pub struct BuiltTables {
    tables: HashMap<String, (SchemaRef, Vec<RecordBatch>)>,
    statuses: HashMap<String, Status>,
}

impl BuiltTables {
    pub fn insert(&mut self, unique_id: &str, schema: SchemaRef, batches: Vec<RecordBatch>) {
        self.tables.insert(unique_id.to_string(), (schema, batches));
    }

    /// Records each result's status (tests' pass, fail, ...; models' success or error).
    pub fn record(&mut self, results: &RunResults) {
        for r in &results.results {
            self.statuses.insert(r.unique_id.clone(), r.status);
        }
    }

    pub fn status(&self, unique_id: &str) -> Option<Status> {
        self.statuses.get(unique_id).copied()
    }

    pub fn has(&self, unique_id: &str) -> bool {
        self.tables.contains_key(unique_id)
    }

    /// The statuses recorded, to carry into the next build's side of a comparison.
    pub fn statuses(&self) -> &HashMap<String, Status> {
        &self.statuses
    }

    pub fn set_statuses(&mut self, statuses: HashMap<String, Status>) {
        self.statuses = statuses;
    }
}

impl Engine {
    /// Builds `select` for a comparison: every model is built even when a unit test of it
    /// fails (what an edit did to its rows is the point), and the unit tests run after, so
    /// that their statuses count among the tests'.
    pub async fn build_for_comparison(
        &mut self,
        select: &[String],
    ) -> Result<RunResults, Vec<crate::Diagnostic>> {
        let mut request = crate::RunRequest::new(crate::Verb::Build);
        request.select = select.to_vec();
        request.exclude = vec!["resource_type:unit_test".into()];
        let mut built = self.run(&request, &mut |_| {}).await?;
        if self
            .project()
            .nodes
            .values()
            .any(|n| n.kind == crate::NodeKind::UnitTest)
        {
            let mut units = crate::RunRequest::new(crate::Verb::Test);
            units.select = select.to_vec();
            units.exclude = vec!["resource_type:test".into()];
            if let Ok(tested) = self.run(&units, &mut |_| {}).await {
                built.results.extend(tested.results);
            }
        }
        Ok(built)
    }

    /// Compares `base` with `current` (this engine's project and DAG) for the models among
    /// `unique_ids` and everything downstream of them.
    pub fn compare_tables(
        &self,
        unique_ids: &[String],
        key: Option<&str>,
        base: &BuiltTables,
        current: &BuiltTables,
    ) -> Changes {
        let models: Vec<String> = unique_ids
            .iter()
            .filter(|id| {
                self.project()
                    .nodes
                    .get(*id)
                    .is_some_and(|n| !n.kind.is_test())
            })
            .cloned()
            .collect();
        compare(self.project(), self.dag(), &models, key, base, current)
    }

    /// The tables of `unique_ids` as they are now (those built), with the last results'
    /// statuses: the "before" or "after" of a comparison.
    pub async fn built_tables(
        &self,
        unique_ids: &[String],
        results: Option<&RunResults>,
    ) -> BuiltTables {
        let mut out = BuiltTables::default();
        for id in unique_ids {
            let Some(node) = self.project().nodes.get(id) else {
                continue;
            };
            if !self.is_built(id) || node.kind.is_test() {
                continue;
            }
            let relation = node.relation.clone();
            if let Some((schema, batches)) = self.table_batches(&relation).await {
                out.insert(id, schema, batches);
            }
        }
        if let Some(r) = results {
            out.record(r);
        }
        out
    }
}

/// Where the key rows are matched on comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// A `unique` (or `dbt_utils.unique_combination_of_columns`) test on the model.
    UniqueTest,
    /// The model's `unique_key` config.
    UniqueKey,
    /// The column the user chose.
    Chosen,
    /// No key: rows are the same only when every value is.
    WholeRow,
}

/// A column that is new, gone or of another type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum SchemaChange {
    Added {
        column: String,
        data_type: String,
    },
    Removed {
        column: String,
        data_type: String,
    },
    Retyped {
        column: String,
        from: String,
        to: String,
    },
}

/// One row that differs, side by side over [`ModelChanges::columns`]: `base` is empty for
/// an added row and `current` for a removed one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowDiff {
    pub change: RowChange,
    pub base: Vec<Cell>,
    pub current: Vec<Cell>,
    /// For a changed row, which of its cells changed.
    pub changed: Vec<bool>,
}

/// Whether a model could be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compared {
    Both,
    /// Built only before the change (removed, or it failed after).
    OnlyBase,
    /// Built only after the change (new, or it failed before).
    OnlyCurrent,
    /// Built on neither side.
    Neither,
}

/// What changed in one model's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelChanges {
    pub unique_id: String,
    pub name: String,
    pub compared: Compared,
    pub key: Vec<String>,
    pub key_source: KeySource,
    /// Why the key chosen could not be used (not unique on one side), if it could not.
    pub key_note: Option<String>,
    pub base_rows: usize,
    pub current_rows: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    /// The columns shown, the current table's first, then those it no longer has.
    pub columns: Vec<String>,
    /// How many values changed in each column both sides have.
    pub changed_by_column: Vec<(String, usize)>,
    pub schema: Vec<SchemaChange>,
    pub rows: Vec<RowDiff>,
}

impl ModelChanges {
    pub fn has_changes(&self) -> bool {
        self.added + self.removed + self.changed > 0
            || !self.schema.is_empty()
            || self.compared != Compared::Both
    }
}

/// A test whose status is not what it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestChange {
    pub unique_id: String,
    pub name: String,
    pub base: Option<Status>,
    pub current: Option<Status>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub models: Vec<ModelChanges>,
    pub tests: Vec<TestChange>,
}

/// What to compare: `models` (unique ids) and everything downstream of them in `project`
/// (the current one), with `key` naming the column to match rows on, if the user chose one.
pub fn compare(
    project: &Project,
    dag: &Dag,
    models: &[String],
    key: Option<&str>,
    base: &BuiltTables,
    current: &BuiltTables,
) -> Changes {
    let mut wanted: HashSet<String> = models.iter().cloned().collect();
    for m in models {
        wanted.extend(dag.descendants(m, None));
    }
    let order: Vec<String> = dag
        .order(project)
        .into_iter()
        .filter(|id| wanted.contains(id))
        .collect();
    let mut out = Vec::new();
    for id in &order {
        let Some(node) = project.nodes.get(id) else {
            continue;
        };
        if node.kind.is_test() || node.materialization.is_ephemeral() {
            continue;
        }
        let chosen = key.filter(|_| models.contains(id));
        out.push(compare_model(
            project, id, &node.name, chosen, base, current,
        ));
    }
    let tests = project
        .nodes
        .values()
        .filter(|n| n.kind.is_test() && n.depends_on.iter().any(|d| wanted.contains(d)))
        .filter_map(|t| {
            let (b, c) = (base.status(&t.unique_id), current.status(&t.unique_id));
            // A test the later build did not run has not changed.
            (b != c && c.is_some()).then(|| TestChange {
                unique_id: t.unique_id.clone(),
                name: t.name.clone(),
                base: b,
                current: c,
            })
        })
        .collect();
    Changes { models: out, tests }
}

/// The key a model's rows are matched on, and where it comes from.
fn key_of(project: &Project, unique_id: &str, chosen: Option<&str>) -> (Vec<String>, KeySource) {
    if let Some(c) = chosen {
        return (vec![c.to_lowercase()], KeySource::Chosen);
    }
    let from_test = project.nodes.values().find_map(|t| {
        let g = t.generic_test.as_ref()?;
        if g.attached_to != unique_id {
            return None;
        }
        match (g.test_name.as_str(), &g.column_name) {
            ("unique", Some(c)) => Some(vec![c.to_lowercase()]),
            ("unique_combination_of_columns", _) => g
                .kwargs
                .get("combination_of_columns")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_lowercase))
                        .collect()
                }),
            _ => None,
        }
    });
    if let Some(k) = from_test.filter(|k| !k.is_empty()) {
        return (k, KeySource::UniqueTest);
    }
    let configured = project.nodes.get(unique_id).and_then(|n| {
        let keys = n
            .materialization
            .incremental()
            .map(|i| i.unique_key.clone())
            .or_else(|| n.materialization.snapshot().map(|s| s.unique_key.clone()))?;
        (!keys.is_empty()).then(|| keys.iter().map(|k| k.to_lowercase()).collect())
    });
    match configured {
        Some(k) => (k, KeySource::UniqueKey),
        None => (Vec::new(), KeySource::WholeRow),
    }
}

fn columns_of(schema: &SchemaRef) -> Vec<(String, String)> {
    schema
        .fields()
        .iter()
        .map(|f| (f.name().to_lowercase(), redshift_type(f.data_type())))
        .collect()
}

/// Whether two tables hold the same rows in the same order, value for value.
fn same_data(bs: &SchemaRef, bb: &[RecordBatch], cs: &SchemaRef, cb: &[RecordBatch]) -> bool {
    let concat =
        |s: &SchemaRef, b: &[RecordBatch]| datafusion::arrow::compute::concat_batches(s, b).ok();
    match (concat(bs, bb), concat(cs, cb)) {
        (Some(a), Some(b)) => a.num_rows() == b.num_rows() && a.columns() == b.columns(),
        _ => false,
    }
}

/// Each row's cells over `columns` (by name; a column the table lacks is NULL).
fn rows_over(schema: &SchemaRef, batches: &[RecordBatch], columns: &[String]) -> Vec<Vec<Cell>> {
    let names: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().to_lowercase())
        .collect();
    let present: Vec<Option<usize>> = columns
        .iter()
        .map(|c| names.iter().position(|n| n == c))
        .collect();
    let indexes: Vec<usize> = present.iter().flatten().copied().collect();
    crate::run::cells(batches, &indexes)
        .into_iter()
        .map(|row| {
            let mut it = row.into_iter();
            present
                .iter()
                .map(|p| p.and_then(|_| it.next().flatten()))
                .collect()
        })
        .collect()
}

fn compare_model(
    project: &Project,
    unique_id: &str,
    name: &str,
    chosen: Option<&str>,
    base: &BuiltTables,
    current: &BuiltTables,
) -> ModelChanges {
    let (mut key, mut key_source) = key_of(project, unique_id, chosen);
    let sides = (base.tables.get(unique_id), current.tables.get(unique_id));
    let compared = match sides {
        (Some(_), Some(_)) => Compared::Both,
        (Some(_), None) => Compared::OnlyBase,
        (None, Some(_)) => Compared::OnlyCurrent,
        (None, None) => Compared::Neither,
    };
    let empty = (
        std::sync::Arc::new(datafusion::arrow::datatypes::Schema::empty()),
        Vec::new(),
    );
    let (bs, bb) = sides.0.unwrap_or(&empty);
    let (cs, cb) = sides.1.unwrap_or(&empty);
    let (base_cols, current_cols) = (columns_of(bs), columns_of(cs));
    let mut schema = Vec::new();
    for (c, t) in &current_cols {
        match base_cols.iter().find(|(b, _)| b == c) {
            None if compared == Compared::Both => schema.push(SchemaChange::Added {
                column: c.clone(),
                data_type: t.clone(),
            }),
            Some((_, bt)) if bt != t => schema.push(SchemaChange::Retyped {
                column: c.clone(),
                from: bt.clone(),
                to: t.clone(),
            }),
            _ => {}
        }
    }
    if compared == Compared::Both {
        for (c, t) in &base_cols {
            if !current_cols.iter().any(|(n, _)| n == c) {
                schema.push(SchemaChange::Removed {
                    column: c.clone(),
                    data_type: t.clone(),
                });
            }
        }
    }
    let columns: Vec<String> = current_cols
        .iter()
        .map(|(c, _)| c.clone())
        .chain(
            base_cols
                .iter()
                .map(|(c, _)| c.clone())
                .filter(|c| !current_cols.iter().any(|(n, _)| n == c)),
        )
        .collect();
    let both: Vec<bool> = columns
        .iter()
        .map(|c| base_cols.iter().any(|(n, _)| n == c) && current_cols.iter().any(|(n, _)| n == c))
        .collect();
    // The same table on both sides (a re-run that changed nothing here) is told at once,
    // without printing every value.
    if compared == Compared::Both && schema.is_empty() && same_data(bs, bb, cs, cb) {
        let rows = bb.iter().map(RecordBatch::num_rows).sum();
        return ModelChanges {
            unique_id: unique_id.to_string(),
            name: name.to_string(),
            compared,
            key,
            key_source,
            key_note: None,
            base_rows: rows,
            current_rows: rows,
            added: 0,
            removed: 0,
            changed: 0,
            changed_by_column: columns.iter().map(|c| (c.clone(), 0)).collect(),
            columns,
            schema,
            rows: Vec::new(),
        };
    }
    let base_rows = rows_over(bs, bb, &columns);
    let current_rows = rows_over(cs, cb, &columns);
    let mut key_note = None;
    let key_at: Vec<usize> = key
        .iter()
        .filter_map(|k| columns.iter().position(|c| c == k))
        .collect();
    if !key.is_empty() && key_at.len() != key.len() {
        key_note = Some(format!(
            "the key {} is not a column of both tables; rows are matched whole",
            key.join(", ")
        ));
        key.clear();
        key_source = KeySource::WholeRow;
    }
    let keyed = |rows: &[Vec<Cell>]| -> Option<HashMap<Vec<Cell>, usize>> {
        let mut map = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            let k: Vec<Cell> = key_at.iter().map(|&c| r[c].clone()).collect();
            if map.insert(k, i).is_some() {
                return None;
            }
        }
        Some(map)
    };
    let mut diffs = Vec::new();
    let mut changed_by_column = vec![0usize; columns.len()];
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    let maps = if key.is_empty() {
        None
    } else {
        match (keyed(&base_rows), keyed(&current_rows)) {
            (Some(b), Some(c)) => Some((b, c)),
            _ => {
                key_note = Some(format!(
                    "{} is not unique in both tables; rows are matched whole",
                    key.join(", ")
                ));
                None
            }
        }
    };
    match maps {
        Some((bmap, cmap)) => {
            for row in &current_rows {
                let k: Vec<Cell> = key_at.iter().map(|&c| row[c].clone()).collect();
                match bmap.get(&k) {
                    None => {
                        added += 1;
                        diffs.push(RowDiff {
                            change: RowChange::Added,
                            base: Vec::new(),
                            current: row.clone(),
                            changed: Vec::new(),
                        });
                    }
                    Some(&j) => {
                        let old = &base_rows[j];
                        let marks: Vec<bool> = (0..columns.len())
                            .map(|c| both[c] && old[c] != row[c])
                            .collect();
                        if marks.iter().any(|m| *m) {
                            changed += 1;
                            for (c, m) in marks.iter().enumerate() {
                                changed_by_column[c] += usize::from(*m);
                            }
                            diffs.push(RowDiff {
                                change: RowChange::Changed,
                                base: old.clone(),
                                current: row.clone(),
                                changed: marks,
                            });
                        }
                    }
                }
            }
            for row in &base_rows {
                let k: Vec<Cell> = key_at.iter().map(|&c| row[c].clone()).collect();
                if !cmap.contains_key(&k) {
                    removed += 1;
                    diffs.push(RowDiff {
                        change: RowChange::Removed,
                        base: row.clone(),
                        current: Vec::new(),
                        changed: Vec::new(),
                    });
                }
            }
        }
        None => {
            key.clear();
            key_source = KeySource::WholeRow;
            // Over the columns both have, as multisets.
            let shared = |r: &Vec<Cell>| -> Vec<Cell> {
                r.iter()
                    .zip(&both)
                    .map(|(v, b)| if *b { v.clone() } else { None })
                    .collect()
            };
            let mut left: HashMap<Vec<Cell>, usize> = HashMap::new();
            for r in &base_rows {
                *left.entry(shared(r)).or_default() += 1;
            }
            for r in &current_rows {
                match left.get_mut(&shared(r)) {
                    Some(n) if *n > 0 => *n -= 1,
                    _ => {
                        added += 1;
                        diffs.push(RowDiff {
                            change: RowChange::Added,
                            base: Vec::new(),
                            current: r.clone(),
                            changed: Vec::new(),
                        });
                    }
                }
            }
            for r in &base_rows {
                if let Some(n) = left.get_mut(&shared(r))
                    && *n > 0
                {
                    *n -= 1;
                    removed += 1;
                    diffs.push(RowDiff {
                        change: RowChange::Removed,
                        base: r.clone(),
                        current: Vec::new(),
                        changed: Vec::new(),
                    });
                }
            }
        }
    }
    ModelChanges {
        unique_id: unique_id.to_string(),
        name: name.to_string(),
        compared,
        key,
        key_source,
        key_note,
        base_rows: base_rows.len(),
        current_rows: current_rows.len(),
        added,
        removed,
        changed,
        changed_by_column: columns
            .iter()
            .zip(changed_by_column)
            .zip(&both)
            .filter(|(_, b)| **b)
            .map(|((c, n), _)| (c.clone(), n))
            .collect(),
        columns,
        schema,
        rows: diffs,
    }
}
