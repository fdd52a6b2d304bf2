//! The page's state, as reactive signals shared by every panel.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::workspaces::Shelf;
use modelplay_protocol::checking::{ChangesReport, UnitTestInfo};
use modelplay_protocol::profile::ColumnProfile;
use modelplay_protocol::{
    BuildSummary, ColumnLineage, ColumnTypes, Files, NodeInfo, NodeOutcome, Problem, SortBy,
    Status, Table,
};

/// Where a node is in the current build, or how it ended in the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeState {
    Queued,
    Running,
    Ended(Status),
}

impl NodeState {
    /// The word the page shows and styles it by.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Queued => "queued",
            NodeState::Running => "running",
            NodeState::Ended(status) => status.as_str(),
        }
    }
}

/// Where the engine worker is.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineStatus {
    /// Downloading its WebAssembly: bytes so far and in all (0 when unknown).
    Loading(u64, u64),
    Ready,
    Busy(String),
    /// It stopped; the page is starting a new one.
    Restarting(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Results,
    Lineage,
    Tests,
    Changes,
    Compiled,
    Problems,
}

#[derive(Clone, Copy)]
pub struct Ui {
    /// The workspace: what the user edits, saved on every change.
    pub files: RwSignal<Files>,
    /// The built-in sample, which saved workspaces are stored against.
    pub sample: RwSignal<Option<Files>>,
    pub open: RwSignal<Option<String>>,
    pub nodes: RwSignal<Vec<NodeInfo>>,
    pub states: RwSignal<HashMap<String, NodeState>>,
    pub outcomes: RwSignal<HashMap<String, NodeOutcome>>,
    pub problems: RwSignal<Vec<Problem>>,
    pub summary: RwSignal<Option<BuildSummary>>,
    pub lineage: RwSignal<ColumnLineage>,
    /// Each node's columns with their Redshift types, from the last check or build.
    pub column_types: RwSignal<ColumnTypes>,
    /// Rows of a built node, in the order they were asked for.
    pub rows: RwSignal<Option<(String, Table, Option<SortBy>)>>,
    /// The order the user asked for the open node's rows in (`None`: the table's own).
    pub sort: RwSignal<Option<SortBy>>,
    /// A profile of each column of a node, over all of its rows.
    pub profile: RwSignal<Option<(String, Vec<ColumnProfile>)>>,
    /// Why the last build has no result: it was cancelled or the engine stopped. Nothing it
    /// built survives, so nothing may claim otherwise.
    pub stopped: RwSignal<Option<String>>,
    /// Whether an edit has not been checked yet (the engine was busy when typing paused).
    pub check_pending: RwSignal<bool>,
    pub tab: RwSignal<Tab>,
    pub engine: RwSignal<EngineStatus>,
    /// The files of the Redshift export, once made: path and SQL.
    pub export: RwSignal<Option<Vec<(String, String)>>>,
    /// The test whose failing rows are shown.
    pub test: RwSignal<Option<String>>,
    /// The column whose lineage is highlighted: (unique id, column).
    pub column: RwSignal<Option<(String, String)>>,
    /// A message for the user (an error the page could not place in a file).
    pub notice: RwSignal<Option<String>>,
    /// Whether a build should start as soon as the engine is ready.
    pub build_when_ready: RwSignal<bool>,
    /// Builds finished since the page loaded (tests and benchmarks wait on it).
    pub builds: RwSignal<u64>,
    /// Checks answered since the page loaded, and how long the last one took in the worker
    /// (benchmarks read both).
    pub checks: RwSignal<(u64, f64)>,
    /// A data file picked or dropped, waiting for the user to say where it goes.
    pub picked_data: RwSignal<Option<web_sys::File>, LocalStorage>,
    /// What adding the picked data file where the dialog says would do.
    pub data_preview: RwSignal<Option<modelplay_protocol::DataPreview>>,
    /// The data file being read: its name and the fraction read.
    pub adding: RwSignal<Option<(String, f64)>>,
    /// The workspaces in browser storage, and which one is open.
    pub shelf: RwSignal<Shelf>,
    /// What the project being opened (from a link, an archive) is called, for its workspace.
    pub opening: RwSignal<Option<String>>,
    /// The project's unit tests with their fixtures.
    pub unit_tests: RwSignal<Vec<UnitTestInfo>>,
    /// The last comparison of two builds (a re-run against what it replaced, or the
    /// workspace against another).
    pub changes: RwSignal<Option<ChangesReport>>,
    /// The question the page is asking, in its own dialog.
    pub question: RwSignal<Option<super::ask::Question>>,
}

impl Ui {
    pub fn new() -> Ui {
        Ui {
            files: RwSignal::new(Files::new()),
            sample: RwSignal::new(None),
            open: RwSignal::new(None),
            nodes: RwSignal::new(Vec::new()),
            states: RwSignal::new(HashMap::new()),
            outcomes: RwSignal::new(HashMap::new()),
            problems: RwSignal::new(Vec::new()),
            summary: RwSignal::new(None),
            lineage: RwSignal::new(ColumnLineage::new()),
            column_types: RwSignal::new(ColumnTypes::new()),
            rows: RwSignal::new(None),
            sort: RwSignal::new(None),
            profile: RwSignal::new(None),
            stopped: RwSignal::new(None),
            check_pending: RwSignal::new(false),
            tab: RwSignal::new(Tab::Results),
            engine: RwSignal::new(EngineStatus::Loading(0, 0)),
            export: RwSignal::new(None),
            test: RwSignal::new(None),
            column: RwSignal::new(None),
            notice: RwSignal::new(None),
            build_when_ready: RwSignal::new(false),
            builds: RwSignal::new(0),
            checks: RwSignal::new((0, 0.0)),
            picked_data: RwSignal::new_local(None),
            adding: RwSignal::new(None),
            data_preview: RwSignal::new(None),
            shelf: RwSignal::new(Shelf::default()),
            opening: RwSignal::new(None),
            unit_tests: RwSignal::new(Vec::new()),
            changes: RwSignal::new(None),
            question: RwSignal::new(None),
        }
    }

    /// The node defined in the open file, if it defines one (a model or snapshot).
    pub fn open_node(&self) -> Option<NodeInfo> {
        let open = self.open.get()?;
        self.nodes.with(|nodes| {
            nodes
                .iter()
                .find(|n| n.path == open && n.kind.builds_from_file())
                .cloned()
        })
    }
}

impl Default for Ui {
    fn default() -> Self {
        Ui::new()
    }
}

pub fn ui() -> Ui {
    use_context::<Ui>().unwrap_or_default()
}
