//! What a run produced, node by node, in the words dbt uses.

use datafusion::arrow::record_batch::RecordBatch;
use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::project::NodeKind;

/// dbt's node statuses: `success`/`error`/`skipped` for models, seeds and snapshots;
/// `pass`/`warn`/`fail`/`error` for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Error,
    Skipped,
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }

    /// Whether nodes downstream must be skipped.
    pub fn blocks_children(self) -> bool {
        matches!(self, Status::Error | Status::Fail | Status::Skipped)
    }
}

/// The outcome of one node.
#[derive(Debug, Clone, Serialize)]
pub struct NodeResult {
    pub unique_id: String,
    pub name: String,
    pub kind: NodeKind,
    /// `table`, `view`, `seed`, `snapshot`, `test`, ...
    pub materialized: crate::project::Materialized,
    /// `"schema"."identifier"`-style name for display.
    pub relation: String,
    pub status: Status,
    /// For models: rows written; for tests: failing rows.
    pub rows: Option<u64>,
    pub failures: Option<u64>,
    pub message: Option<String>,
    #[serde(skip)]
    pub diagnostic: Option<Diagnostic>,
    /// For failed or warning tests, the first failing rows (dbt's `store_failures`).
    #[serde(skip)]
    pub failing_rows: Vec<RecordBatch>,
    /// For a unit test that ran: its actual rows against the expected ones.
    pub unit_diff: Option<Box<super::UnitDiff>>,
    pub execution_time: f64,
    /// The SQL that ran, as rendered from Jinja.
    pub compiled_sql: Option<String>,
}

/// The results of a run, in execution order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunResults {
    pub results: Vec<NodeResult>,
    pub elapsed_time: f64,
    /// Nodes outside the selection that were built first so the selection could read them.
    pub deferred: Vec<String>,
    /// An `on-run-end` hook that failed after every node had run.
    #[serde(skip)]
    pub hook_errors: Vec<Diagnostic>,
}

/// The counts in dbt's summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub error: usize,
    pub skip: usize,
    pub total: usize,
}

impl RunResults {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for r in &self.results {
            match r.status {
                Status::Success | Status::Pass => s.pass += 1,
                Status::Warn => s.warn += 1,
                Status::Error | Status::Fail => s.error += 1,
                Status::Skipped => s.skip += 1,
            }
            s.total += 1;
        }
        s
    }

    pub fn success(&self) -> bool {
        self.hook_errors.is_empty()
            && !self
                .results
                .iter()
                .any(|r| matches!(r.status, Status::Error | Status::Fail | Status::Skipped))
    }
}
