//! From the engine's types to the messages the page understands.

use modelplay_engine::diagnostic::{Diagnostic, Severity};
use modelplay_engine::redshift::types::redshift_type;
use modelplay_engine::run::CheckReport;
use modelplay_engine::run::tables::{RecordBatch, display_value};
use modelplay_engine::{NodeResult, Project};

use modelplay_engine::lineage::EdgeKind;
use modelplay_engine::{NodeKind, Status};
use modelplay_protocol::{
    self as protocol, Column, ColumnLineage, NodeInfo, NodeOutcome, Problem, Table, UpstreamColumn,
    checking,
};

fn node_kind(kind: NodeKind) -> protocol::NodeKind {
    match kind {
        NodeKind::Model => protocol::NodeKind::Model,
        NodeKind::Seed => protocol::NodeKind::Seed,
        NodeKind::Snapshot => protocol::NodeKind::Snapshot,
        NodeKind::Test => protocol::NodeKind::Test,
        NodeKind::UnitTest => protocol::NodeKind::UnitTest,
        NodeKind::Source => protocol::NodeKind::Source,
    }
}

fn status(status: Status) -> protocol::Status {
    match status {
        Status::Success => protocol::Status::Success,
        Status::Error => protocol::Status::Error,
        Status::Skipped => protocol::Status::Skipped,
        Status::Pass => protocol::Status::Pass,
        Status::Warn => protocol::Status::Warn,
        Status::Fail => protocol::Status::Fail,
    }
}

pub fn problem(d: &Diagnostic) -> Problem {
    Problem {
        file: d.location.file.clone(),
        line: d.location.line,
        column: d.location.column,
        severity: match d.severity {
            Severity::Error => protocol::Severity::Error,
            Severity::Warning => protocol::Severity::Warning,
        },
        code: d.code.as_str().to_string(),
        message: d.message.clone(),
        hint: d.hint.clone(),
        related: d
            .labels
            .iter()
            .map(|l| protocol::Related {
                file: l.location.file.clone(),
                line: l.location.line,
                column: l.location.column,
                message: l.message.clone(),
            })
            .collect(),
    }
}

/// Every node of the project, sources first, as the DAG view draws them.
pub fn node_infos(project: &Project) -> Vec<NodeInfo> {
    let sources = project.sources.values().map(|s| NodeInfo {
        unique_id: s.unique_id.clone(),
        name: format!("{}.{}", s.source_name, s.name),
        kind: protocol::NodeKind::Source,
        materialized: modelplay_engine::project::Materialized::Source
            .as_str()
            .into(),
        path: s.location.file.clone(),
        relation: s.relation.to_string(),
        depends_on: Vec::new(),
    });
    let nodes = project.nodes.values().map(|n| NodeInfo {
        unique_id: n.unique_id.clone(),
        name: n.name.clone(),
        kind: node_kind(n.kind),
        materialized: n.materialized().as_str().into(),
        path: n.path.clone(),
        relation: n.relation.to_string(),
        depends_on: n.depends_on.clone(),
    });
    sources.chain(nodes).collect()
}

/// Up to `limit` rows of `batches` as text, NULL as `None`.
pub fn table(batches: &[RecordBatch], limit: usize, total_rows: usize) -> Table {
    let columns = batches
        .first()
        .map(|b| {
            b.schema()
                .fields()
                .iter()
                .map(|f| Column {
                    name: f.name().clone(),
                    data_type: redshift_type(f.data_type()),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut rows = Vec::new();
    'batches: for batch in batches {
        for row in 0..batch.num_rows() {
            if rows.len() >= limit {
                break 'batches;
            }
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|a| (!a.is_null(row)).then(|| display_value(a, row)))
                    .collect(),
            );
        }
    }
    Table {
        columns,
        rows,
        total_rows,
    }
}

pub fn outcome(result: &NodeResult, elapsed_ms: f64, failing_rows: usize) -> NodeOutcome {
    let failing = (!result.failing_rows.is_empty()).then(|| {
        let total = result.failures.unwrap_or(0) as usize;
        table(&result.failing_rows, failing_rows, total)
    });
    NodeOutcome {
        unique_id: result.unique_id.clone(),
        name: result.name.clone(),
        kind: node_kind(result.kind),
        status: status(result.status),
        message: result.message.clone(),
        rows: result.rows,
        failures: result.failures,
        compiled_sql: result.compiled_sql.clone(),
        failing_rows: failing,
        unit_diff: result.unit_diff.as_deref().map(unit_diff),
        problem: result.diagnostic.as_ref().map(problem),
        elapsed_ms,
    }
}

pub fn column_types(report: &CheckReport) -> protocol::ColumnTypes {
    report
        .columns
        .iter()
        .map(|(node, columns)| {
            let columns = columns
                .iter()
                .map(|(name, data_type)| protocol::Column {
                    name: name.clone(),
                    data_type: data_type.clone(),
                })
                .collect();
            (node.clone(), columns)
        })
        .collect()
}

pub fn lineage(report: &CheckReport) -> ColumnLineage {
    report
        .lineage
        .iter()
        .map(|(node, columns)| {
            let columns = columns
                .iter()
                .map(|(column, edges)| {
                    let upstream = edges
                        .iter()
                        .map(|e| UpstreamColumn {
                            node: e.node.clone(),
                            column: e.column.clone(),
                            kind: match e.kind {
                                EdgeKind::Copy => protocol::LineageKind::Copy,
                                EdgeKind::Rename => protocol::LineageKind::Rename,
                                EdgeKind::Transformation => protocol::LineageKind::Transformation,
                            },
                        })
                        .collect();
                    (column.clone(), upstream)
                })
                .collect();
            (node.clone(), columns)
        })
        .collect()
}

fn row_change(change: modelplay_engine::run::RowChange) -> checking::RowChange {
    use modelplay_engine::run::RowChange as R;
    match change {
        R::Same => checking::RowChange::Same,
        R::Added => checking::RowChange::Added,
        R::Removed => checking::RowChange::Removed,
        R::Changed => checking::RowChange::Changed,
    }
}

fn unit_diff(diff: &modelplay_engine::run::UnitDiff) -> checking::UnitDiff {
    checking::UnitDiff {
        columns: diff.columns.clone(),
        rows: diff
            .rows
            .iter()
            .map(|r| checking::UnitDiffRow {
                change: row_change(r.change),
                expected: r.expected.clone(),
                actual: r.actual.clone(),
            })
            .collect(),
    }
}

/// A YAML value as the grid shows it: text as written, NULL as none.
fn yaml_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The line of the `rows:` key whose value is at `at` in `text`: the value's own line (a
/// flow list) or one above it (a block list).
fn rows_key_line(text: &str, at: &modelplay_engine::Location) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    (at.line.saturating_sub(2)..at.line)
        .rev()
        .find(|&i| {
            lines.get(i).is_some_and(|l| {
                let t = l.trim_start();
                t.strip_prefix("- ")
                    .unwrap_or(t)
                    .trim_start()
                    .starts_with("rows:")
            })
        })
        .map_or(0, |i| i + 1)
}

fn fixture_info(
    project: &Project,
    label: String,
    fixture: &modelplay_engine::project::unit_tests::Fixture,
    file: &str,
) -> checking::FixtureInfo {
    use modelplay_engine::project::unit_tests::FixtureRows;
    match &fixture.rows {
        FixtureRows::Rows(rows) => {
            let mut columns: Vec<String> = Vec::new();
            for r in rows {
                for v in &r.values {
                    if !columns.contains(&v.column) {
                        columns.push(v.column.clone());
                    }
                }
            }
            let cells = rows
                .iter()
                .map(|r| {
                    columns
                        .iter()
                        .map(|c| r.get(c).and_then(|v| yaml_text(&v.value)))
                        .collect()
                })
                .collect();
            // Only a list written in the properties file itself can be written back.
            let text = project.files.text(file).unwrap_or_default();
            let rows_line = if fixture.at.file == file {
                rows_key_line(&text, &fixture.at)
            } else {
                0
            };
            let is_list = text
                .lines()
                .nth(rows_line.saturating_sub(1))
                .is_some_and(|l| !l.contains("rows: |") && !l.contains("rows: >"));
            checking::FixtureInfo {
                label,
                columns,
                rows: cells,
                rows_line: if is_list { rows_line } else { 0 },
            }
        }
        FixtureRows::Sql(sql) => checking::FixtureInfo {
            label,
            columns: vec!["sql".to_string()],
            rows: vec![vec![Some(sql.clone())]],
            rows_line: 0,
        },
    }
}

/// The project's unit tests with their fixtures, for the tests panel and its grid editor.
pub fn unit_test_infos(project: &Project) -> Vec<checking::UnitTestInfo> {
    project
        .nodes
        .values()
        .filter_map(|n| {
            let t = n.unit_test.as_deref()?;
            let model = project.nodes.get(&t.model)?;
            Some(checking::UnitTestInfo {
                unique_id: n.unique_id.clone(),
                model: model.unique_id.clone(),
                file: t.file.clone(),
                given: t
                    .given
                    .iter()
                    .map(|g| fixture_info(project, g.written.clone(), &g.fixture, &t.file))
                    .collect(),
                expect: fixture_info(project, "expect".into(), &t.expect, &t.file),
            })
        })
        .collect()
}

fn changed_row(r: &modelplay_engine::changes::RowDiff) -> checking::ChangedRow {
    checking::ChangedRow {
        change: row_change(r.change),
        base: r.base.clone(),
        current: r.current.clone(),
        changed: r.changed.clone(),
    }
}

/// Rows `offset..offset + limit` of a model's differing rows.
pub fn changed_rows(
    model: &modelplay_engine::changes::ModelChanges,
    offset: usize,
    limit: usize,
) -> Vec<checking::ChangedRow> {
    model
        .rows
        .iter()
        .skip(offset)
        .take(limit)
        .map(changed_row)
        .collect()
}

/// A comparison for the page, with the first `rows` differing rows of each model.
pub fn changes_report(
    found: &modelplay_engine::changes::Changes,
    against: &str,
    rows: usize,
) -> checking::ChangesReport {
    use modelplay_engine::changes::{Compared, KeySource, SchemaChange};
    checking::ChangesReport {
        against: against.to_string(),
        models: found
            .models
            .iter()
            .map(|m| checking::ModelChanges {
                unique_id: m.unique_id.clone(),
                name: m.name.clone(),
                compared: match m.compared {
                    Compared::Both => checking::Compared::Both,
                    Compared::OnlyBase => checking::Compared::OnlyBase,
                    Compared::OnlyCurrent => checking::Compared::OnlyCurrent,
                    Compared::Neither => checking::Compared::Neither,
                },
                key: m.key.clone(),
                key_source: match m.key_source {
                    KeySource::UniqueTest => "unique_test",
                    KeySource::UniqueKey => "unique_key",
                    KeySource::Chosen => "chosen",
                    KeySource::WholeRow => "whole_row",
                }
                .to_string(),
                key_note: m.key_note.clone(),
                base_rows: m.base_rows,
                current_rows: m.current_rows,
                added: m.added,
                removed: m.removed,
                changed: m.changed,
                columns: m.columns.clone(),
                changed_by_column: m.changed_by_column.clone(),
                schema: m
                    .schema
                    .iter()
                    .map(|s| match s {
                        SchemaChange::Added { column, data_type } => checking::SchemaChange {
                            change: "added".into(),
                            column: column.clone(),
                            from: None,
                            to: Some(data_type.clone()),
                        },
                        SchemaChange::Removed { column, data_type } => checking::SchemaChange {
                            change: "removed".into(),
                            column: column.clone(),
                            from: Some(data_type.clone()),
                            to: None,
                        },
                        SchemaChange::Retyped { column, from, to } => checking::SchemaChange {
                            change: "retyped".into(),
                            column: column.clone(),
                            from: Some(from.clone()),
                            to: Some(to.clone()),
                        },
                    })
                    .collect(),
                rows: changed_rows(m, 0, rows),
                rows_total: m.rows.len(),
            })
            .collect(),
        tests: found
            .tests
            .iter()
            .map(|t| checking::TestChange {
                unique_id: t.unique_id.clone(),
                name: t.name.clone(),
                base: t.base.map(status),
                current: t.current.map(status),
            })
            .collect(),
    }
}
