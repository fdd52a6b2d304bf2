//! The messages between the page and the engine worker, sent as JSON text, and the few
//! rules both sides apply to them. The page depends on this crate and not on the engine, so
//! the compiler keeps the engine out of the page's module.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod data_target;
pub mod paths;

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
        #[serde(with = "base64_bytes")]
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

mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

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
    /// A data file the user picked or dropped, cut down to the rows they chose while it is
    /// read. The file itself travels beside the request (it may be larger than the page
    /// should copy), so this request is never sent alone.
    AddData(AddData),
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

impl<R: Serialize> Ask<R> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Answer {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

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
            request: Request::Check {
                files: Files::new(),
            },
        };
        let back: Ask = serde_json::from_str(&ask.to_json()).unwrap();
        assert_eq!(back.id, 7);
        assert!(matches!(back.request, Request::Check { .. }));
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
    fn damaged_base64_is_refused() {
        assert!(serde_json::from_str::<Files>(r#"{"a":{"base64":"*not*"}}"#).is_err());
    }
}
