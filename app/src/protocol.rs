//! The messages between the page and the engine worker, sent as JSON text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A project as the page holds it: path to text.
pub type Files = BTreeMap<String, String>;

/// What the page asks of the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// The built-in sample project.
    Sample,
    /// Load `files` and build the nodes `select` picks (everything when empty). With `reuse`,
    /// tables built earlier from unchanged nodes are kept rather than rebuilt.
    Build {
        files: Files,
        select: Vec<String>,
        reuse: bool,
    },
    /// Plan every model without running anything, for diagnostics as the user types.
    Check { files: Files },
    /// The rows of a built node.
    Rows { unique_id: String, limit: usize },
    /// The Redshift export of the project: every file, and all of them as a `.zip`.
    Export { files: Files },
    /// A share link for the project.
    Share { files: Files },
    /// The project a share link carries.
    OpenLink { link: String },
    /// The project in a `.zip` archive (base64).
    OpenZip { zip_base64: String },
    /// The project as a `.zip` dbt accepts.
    Zip { files: Files },
}

/// What the worker answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    /// Sent once the engine's WebAssembly is running.
    Ready,
    /// The worker's script is still downloading its WebAssembly (sent by the loader).
    Progress {
        loaded: u64,
        total: u64,
    },
    Sample {
        files: Files,
    },
    /// The project as loaded: its nodes (or the problems that stopped it loading).
    Project {
        nodes: Vec<NodeInfo>,
        problems: Vec<Problem>,
    },
    /// The nodes a build will run, in order.
    Planned {
        unique_ids: Vec<String>,
    },
    NodeStarted {
        unique_id: String,
        name: String,
    },
    NodeFinished {
        outcome: Box<NodeOutcome>,
    },
    BuildDone(Box<BuildSummary>),
    Checked {
        problems: Vec<Problem>,
        lineage: ColumnLineage,
    },
    Rows {
        unique_id: String,
        table: Table,
    },
    Exported {
        files: Vec<(String, String)>,
        zip_base64: String,
        problems: Vec<Problem>,
    },
    Link {
        link: String,
    },
    Opened {
        files: Files,
    },
    Zipped {
        zip_base64: String,
    },
    /// A share link that could not be opened (damaged, cut short, too large), with why.
    LinkNotOpened {
        message: String,
    },
    /// A request that could not be served, with why.
    Failed {
        what: String,
        message: String,
    },
}

/// One node of the project's DAG, as the page draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub unique_id: String,
    pub name: String,
    /// `model`, `seed`, `snapshot`, `test` or `source`.
    pub kind: String,
    pub materialized: String,
    pub path: String,
    pub relation: String,
    pub depends_on: Vec<String>,
}

/// A problem located in one of the user's files (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// `error` or `warning`.
    pub severity: String,
    pub message: String,
    pub hint: Option<String>,
}

/// How one node of a build ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeOutcome {
    pub unique_id: String,
    pub name: String,
    pub kind: String,
    /// dbt's status: `success`, `error`, `skipped`, `pass`, `warn` or `fail`.
    pub status: String,
    pub message: Option<String>,
    pub rows: Option<u64>,
    pub failures: Option<u64>,
    pub compiled_sql: Option<String>,
    pub failing_rows: Option<Table>,
    pub problem: Option<Problem>,
    pub elapsed_ms: f64,
}

/// The end of a build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildSummary {
    pub pass: usize,
    pub warn: usize,
    pub error: usize,
    pub skip: usize,
    pub total: usize,
    pub elapsed_ms: f64,
    /// Nodes whose tables from an earlier build were kept.
    pub reused: usize,
    pub problems: Vec<Problem>,
    pub lineage: ColumnLineage,
}

/// Column lineage: node → column → the upstream columns it is computed from.
pub type ColumnLineage = BTreeMap<String, BTreeMap<String, Vec<UpstreamColumn>>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamColumn {
    pub node: String,
    pub column: String,
    /// `copy`, `rename` or `transformation`.
    pub kind: String,
}

/// Rows for the grid, every value as Redshift would print it (`None` is NULL).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Option<String>>>,
    /// Rows in the relation; more than `rows.len()` when the grid got the first ones only.
    pub total_rows: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub data_type: String,
}

impl Request {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Response {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
