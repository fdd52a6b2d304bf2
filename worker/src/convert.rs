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
        problem: result.diagnostic.as_ref().map(problem),
        elapsed_ms,
    }
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
