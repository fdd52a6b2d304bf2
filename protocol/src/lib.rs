//! The messages between the page and the engine worker, sent as JSON text, and the few
//! rules both sides apply to them. The page depends on this crate and not on the engine, so
//! the compiler keeps the engine out of the page's module.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod data_target;
pub mod paths;
pub mod profile;
pub mod wire;

/// What a share link's fragment starts with (the engine's `share::LINK_PREFIX`; the worker's
/// tests check the two agree), so that the page can tell a link from a stray fragment
/// without loading the engine.
pub const LINK_PREFIX: &str = "mp1.";

/// A project as the page holds it: path to contents.
pub type Files = BTreeMap<String, Body>;

/// One file's contents: text the editor shows, or bytes it cannot (a Parquet load, a CSV
/// that is not UTF-8), kept as they are so that links and archives carry them unchanged.
///
/// Text is a bare JSON string, as every file was before binary files existed, so that
/// workspaces saved then still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Body {
    Text(String),
    Binary {
        #[serde(with = "wire::bytes")]
        base64: Vec<u8>,
    },
}

impl Body {
    /// Text when the bytes are UTF-8, else the bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Body {
        match String::from_utf8(bytes) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Binary {
                base64: e.into_bytes(),
            },
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            Body::Text(t) => t.as_bytes(),
            Body::Binary { base64 } => base64,
        }
    }

    /// The text, for files the editor can show.
    pub fn text(&self) -> Option<&str> {
        match self {
            Body::Text(t) => Some(t),
            Body::Binary { .. } => None,
        }
    }
}

impl From<&str> for Body {
    fn from(text: &str) -> Body {
        Body::Text(text.to_string())
    }
}

/// One change to the worker's copy of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// The file at `path`, new or changed, now holds `body`.
    Put {
        path: String,
        body: Body,
    },
    Delete {
        path: String,
    },
}

/// The changes that turn `from` into `to`, in path order.
pub fn changes(from: &Files, to: &Files) -> Vec<Change> {
    let deleted = from
        .keys()
        .filter(|p| !to.contains_key(*p))
        .map(|path| Change::Delete { path: path.clone() });
    let put = to
        .iter()
        .filter(|(p, body)| from.get(*p) != Some(body))
        .map(|(path, body)| Change::Put {
            path: path.clone(),
            body: body.clone(),
        });
    deleted.chain(put).collect()
}

/// Applies `changes` to `files`, in order.
pub fn apply(files: &mut Files, changes: Vec<Change>) {
    for change in changes {
        match change {
            Change::Put { path, body } => {
                files.insert(path, body);
            }
            Change::Delete { path } => {
                files.remove(&path);
            }
        }
    }
}

/// What the page asks of the worker. The worker keeps its own copy of the workspace, which
/// the page brings up to date with `Edit` before each request that reads it; the page's copy
/// stays the one that counts, so a worker that dies loses nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// The built-in sample project.
    Sample,
    /// What changed in the workspace since the last `Edit` (for a new worker: every file).
    Edit { changes: Vec<Change> },
    /// Load the workspace and build the nodes `select` picks (everything when empty). With
    /// `reuse`, tables built earlier from unchanged nodes are kept rather than rebuilt.
    Build { select: Vec<String>, reuse: bool },
    /// Plan every model without running anything, for diagnostics as the user types.
    Check,
    /// The rows of a built node, at most `limit`, in the order `sort` gives the whole
    /// relation (the relation's own order when `None`).
    Rows {
        unique_id: String,
        limit: usize,
        #[serde(default)]
        sort: Option<SortBy>,
    },
    /// A profile of each column of a built node, over all of its rows.
    Profile { unique_id: String },
    /// The Redshift export of the workspace: every file, and all of them as a `.zip`.
    Export,
    /// A share link for the workspace.
    Share,
    /// The project a share link carries.
    OpenLink { link: String },
    /// The project in a `.zip` archive.
    OpenZip {
        #[serde(with = "wire::bytes")]
        zip: Vec<u8>,
    },
    /// The workspace as a `.zip` dbt accepts.
    Zip,
    /// A data file the user picked or dropped, cut down to the rows they chose while it is
    /// read. The file itself travels beside the request (it may be larger than the page
    /// should copy), so this request is never sent alone.
    AddData(AddData),
    /// A unit test for a built model (by unique id), expecting `rows` of its output rows.
    WriteUnitTest { model: String, rows: usize },
    /// Compare the last build with another project (another workspace, the sample, a share
    /// link's) built as well.
    CompareWith { with: Other, label: String },
    /// More differing rows of a model in the last comparison.
    ChangedRows {
        unique_id: String,
        offset: usize,
        limit: usize,
    },
}

impl Request {
    /// Whether the worker answers it from its copy of the workspace, which must then be up
    /// to date.
    pub fn reads_workspace(&self) -> bool {
        matches!(
            self,
            Request::Build { .. }
                | Request::Check
                | Request::Export
                | Request::Share
                | Request::Zip
                | Request::WriteUnitTest { .. }
                | Request::CompareWith { .. }
        )
    }
}

/// A project to compare the workspace with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Other {
    Files(Files),
    /// A share link, which the worker opens.
    Link(String),
}

/// An order for a node's rows: by one column, NULLs placed as Redshift places them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortBy {
    pub column: String,
    pub ascending: bool,
}

/// Where a data file goes and how much of it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddData {
    /// The file's name as the user's machine had it.
    pub name: String,
    /// The project path it becomes: `data/<source>/<table>/<load date>.csv|.parquet`, or
    /// `seeds/<name>.csv`.
    pub target: String,
    pub keep: KeepRows,
    /// Only look: read the header and the first rows, and say whether the file would be
    /// taken at `target` (`Response::DataPreview`), adding nothing.
    #[serde(default)]
    pub preview: bool,
}

/// What adding a data file at `target` would do, said before it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPreview {
    pub name: String,
    pub target: String,
    /// The file's columns, as the project would read them.
    pub columns: Vec<String>,
    /// Why the file would be refused there, if it would.
    pub refused: Option<String>,
}

/// Which rows of a data file are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeepRows {
    All,
    First(usize),
    Random { rows: usize, seed: u64 },
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
    /// The project as loaded: its nodes (or the problems that stopped it loading), and its
    /// unit tests' fixtures.
    Project {
        nodes: Vec<NodeInfo>,
        problems: Vec<Problem>,
        #[serde(default)]
        unit_tests: Vec<checking::UnitTestInfo>,
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
        #[serde(default)]
        columns: ColumnTypes,
        /// How long the check took in the worker.
        #[serde(default)]
        elapsed_ms: f64,
    },
    Rows {
        unique_id: String,
        table: Table,
        #[serde(default)]
        sort: Option<SortBy>,
    },
    /// Each column's profile, in the table's column order.
    Profile {
        unique_id: String,
        columns: Vec<profile::ColumnProfile>,
    },
    Exported {
        files: Vec<(String, String)>,
        #[serde(with = "wire::bytes")]
        zip: Vec<u8>,
        problems: Vec<Problem>,
    },
    Link {
        link: String,
    },
    Opened {
        files: Files,
    },
    Zipped {
        #[serde(with = "wire::bytes")]
        zip: Vec<u8>,
    },
    /// How far a data file has been read, from 0 to 1.
    AddingData {
        name: String,
        fraction: f64,
    },
    /// A data file, cut down, ready to join the project at `path`.
    DataAdded {
        path: String,
        body: Body,
        rows_read: u64,
        rows_kept: u64,
    },
    /// A share link that could not be opened (damaged, cut short, too large), with why.
    LinkNotOpened {
        message: String,
    },
    /// A unit test written from a build: the file it goes in, with its whole new text.
    UnitTestWritten {
        name: String,
        model: String,
        path: String,
        text: String,
    },
    /// What changed between two builds.
    Changes(Box<checking::ChangesReport>),
    /// More differing rows of one model of the last comparison.
    ChangedRows {
        unique_id: String,
        offset: usize,
        rows: Vec<checking::ChangedRow>,
    },
    DataPreview(DataPreview),
    /// A request that could not be served, with why.
    Failed {
        what: String,
        message: String,
    },
}

/// Defines a message enum that travels as dbt's lowercase word for it, with that word at hand
/// for labels and CSS classes.
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod checking;

word_enum! {
    /// What a node of the DAG is, in dbt's words.
    NodeKind {
        Model => "model",
        Seed => "seed",
        Snapshot => "snapshot",
        Test => "test",
        UnitTest => "unit_test",
        Source => "source",
    }
}

impl NodeKind {
    /// A data test or a unit test.
    pub fn is_test(self) -> bool {
        matches!(self, NodeKind::Test | NodeKind::UnitTest)
    }

    /// Kinds that build a relation from a file the editor can open.
    pub fn builds_from_file(self) -> bool {
        matches!(self, NodeKind::Model | NodeKind::Snapshot | NodeKind::Seed)
    }
}

word_enum! {
    /// How bad a problem is.
    Severity {
        Error => "error",
        Warning => "warning",
    }
}

word_enum! {
    /// How a node of a build ended, as dbt reports it.
    Status {
        Success => "success",
        Error => "error",
        Skipped => "skipped",
        Pass => "pass",
        Warn => "warn",
        Fail => "fail",
    }
}

word_enum! {
    /// How a column's value relates to an upstream column.
    LineageKind {
        Copy => "copy",
        Rename => "rename",
        Transformation => "transformation",
    }
}

/// One node of the project's DAG, as the page draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub unique_id: String,
    pub name: String,
    pub kind: NodeKind,
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
    pub severity: Severity,
    /// What kind of problem it is (`plan`, `ref`, `yaml`...), as the CLI prints it.
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    /// Other places it involves, such as the call of the macro the error is in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
}

/// A second place a problem involves, with what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// How one node of a build ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeOutcome {
    pub unique_id: String,
    pub name: String,
    pub kind: NodeKind,
    pub status: Status,
    pub message: Option<String>,
    pub rows: Option<u64>,
    pub failures: Option<u64>,
    pub compiled_sql: Option<String>,
    pub failing_rows: Option<Table>,
    /// For a unit test that ran: its rows against the expected ones.
    #[serde(default)]
    pub unit_diff: Option<checking::UnitDiff>,
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
    #[serde(default)]
    pub columns: ColumnTypes,
}

/// The columns of every node that planned, with their Redshift types, in order.
pub type ColumnTypes = BTreeMap<String, Vec<Column>>;

/// Column lineage: node → column → the upstream columns it is computed from.
pub type ColumnLineage = BTreeMap<String, BTreeMap<String, Vec<UpstreamColumn>>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamColumn {
    pub node: String,
    pub column: String,
    pub kind: LineageKind,
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

/// A request as it travels: numbered by the page, so that an answer can be matched to the
/// request it answers and an answer to a request since superseded can be dropped.
/// The page sends `Ask<&Request>`, so that a project is not copied to be sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ask<R = Request> {
    pub id: u64,
    pub request: R,
}

/// An answer as it travels, with the number of the request it answers; `0` for what the
/// worker says unasked (`Ready`, the loader's `Progress`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub id: u64,
    pub response: Response,
}

/// The number of what the worker says unasked.
pub const UNASKED: u64 = 0;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn text_is_a_bare_string_and_bytes_are_base64() {
        let mut files = Files::new();
        files.insert("models/a.sql".into(), Body::from("select 1"));
        files.insert(
            "data/s/t/2024-05-01.parquet".into(),
            Body::from_bytes(vec![b'P', b'A', b'R', b'1', 0xff, 0]),
        );
        let json = serde_json::to_string(&files).unwrap();
        assert_eq!(
            json,
            r#"{"data/s/t/2024-05-01.parquet":{"base64":"UEFSMf8A"},"models/a.sql":"select 1"}"#
        );
        let back: Files = serde_json::from_str(&json).unwrap();
        assert_eq!(back, files);
        assert_eq!(
            back["data/s/t/2024-05-01.parquet"].bytes(),
            [b'P', b'A', b'R', b'1', 0xff, 0]
        );
    }

    #[test]
    fn answers_carry_the_number_of_their_request() {
        let ask = Ask {
            id: 7,
            request: Request::Check,
        };
        let (text, parts) = wire::encode(&ask);
        let back: Ask = wire::decode(&text, parts).unwrap();
        assert_eq!(back.id, 7);
        assert!(matches!(back.request, Request::Check));
        let answer: Answer =
            serde_json::from_str(r#"{"id":0,"response":{"Progress":{"loaded":1,"total":2}}}"#)
                .unwrap();
        assert_eq!(answer.id, UNASKED);
        assert!(matches!(
            answer.response,
            Response::Progress {
                loaded: 1,
                total: 2
            }
        ));
    }

    #[test]
    fn enums_travel_as_dbts_words() {
        let problem = Problem {
            file: "models/a.sql".into(),
            line: 3,
            column: 7,
            severity: Severity::Warning,
            code: "plan".into(),
            message: "m".into(),
            hint: None,
            related: Vec::new(),
        };
        let json = serde_json::to_string(&problem).unwrap();
        assert!(json.contains(r#""severity":"warning""#), "{json}");
        assert_eq!(serde_json::from_str::<Problem>(&json).unwrap(), problem);
        assert_eq!(
            serde_json::to_string(&Status::Skipped).unwrap(),
            r#""skipped""#
        );
        assert_eq!(
            serde_json::to_string(&NodeKind::Snapshot).unwrap(),
            r#""snapshot""#
        );
        assert_eq!(
            serde_json::from_str::<LineageKind>(r#""rename""#).unwrap(),
            LineageKind::Rename
        );
        assert!(serde_json::from_str::<Status>(r#""Success""#).is_err());
        assert_eq!(Status::Warn.to_string(), "warn");
    }

    #[test]
    fn changes_carry_only_what_differs_and_apply_back() {
        let mut before = Files::new();
        before.insert("models/a.sql".into(), Body::from("select 1"));
        before.insert("models/b.sql".into(), Body::from("select 2"));
        before.insert("seeds/s.csv".into(), Body::from("id\n1\n"));
        let mut after = before.clone();
        after.insert("models/a.sql".into(), Body::from("select 10"));
        after.remove("models/b.sql");
        after.insert("models/c.sql".into(), Body::from_bytes(vec![0xff, 0]));
        let delta = changes(&before, &after);
        assert_eq!(
            delta,
            vec![
                Change::Delete {
                    path: "models/b.sql".into()
                },
                Change::Put {
                    path: "models/a.sql".into(),
                    body: Body::from("select 10")
                },
                Change::Put {
                    path: "models/c.sql".into(),
                    body: Body::from_bytes(vec![0xff, 0])
                },
            ]
        );
        let mut mirror = before.clone();
        apply(&mut mirror, delta);
        assert_eq!(mirror, after);
        assert!(changes(&after, &after).is_empty());
        // A new worker starts empty: the first edit carries every file.
        assert_eq!(changes(&Files::new(), &after).len(), after.len());
    }

    #[test]
    fn damaged_base64_is_refused() {
        assert!(serde_json::from_str::<Files>(r#"{"a":{"base64":"*not*"}}"#).is_err());
    }
}
