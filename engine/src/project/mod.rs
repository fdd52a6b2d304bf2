//! A dbt project loaded from an in-memory file map: its nodes, sources, macros and configs.

mod config;
pub mod constraints;
pub mod load;
pub mod lookup;
pub mod microbatch;
pub mod resolved;
pub mod unit_tests;
pub mod yaml;
mod yaml_tree;

pub use config::{Config, Setting};
pub use load::{LoadOptions, LoadedProject, load_project};
pub use resolved::{Materialization, Materialized};

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Location};
use crate::files::ProjectFiles;
use crate::relation::Relation;

/// A package installed in `dbt_packages/`: its name (what its macros are called by, as in
/// `dbt_utils.star`, and its nodes' `package_name`), its folder, and its macro files.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub folder: String,
    pub macro_files: Vec<(String, String)>,
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Model,
    Seed,
    Snapshot,
    Test,
    /// A dbt unit test: fixed rows for a model's inputs and the rows it must give back.
    UnitTest,
    Source,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Model => "model",
            NodeKind::Seed => "seed",
            NodeKind::Snapshot => "snapshot",
            NodeKind::Test => "test",
            NodeKind::UnitTest => "unit_test",
            NodeKind::Source => "source",
        }
    }

    /// A data test or a unit test: neither builds a relation anything can read.
    pub fn is_test(self) -> bool {
        matches!(self, NodeKind::Test | NodeKind::UnitTest)
    }
}

/// A column documented in YAML.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnDoc {
    pub name: String,
    pub description: String,
    pub data_type: Option<String>,
    /// Its constraints (which shape the table's DDL when the contract is enforced).
    pub constraints: Vec<constraints::Constraint>,
    /// `quote: true`: dbt quotes the name in the DDL.
    pub quote: bool,
    /// Where the column's `name:` is written.
    pub at: Location,
}

/// A generic test applied from YAML (`unique`, `dbt_utils.accepted_range`, ...).
#[derive(Debug, Clone, Serialize)]
pub struct GenericTest {
    /// The test's name without namespace, e.g. `not_null`.
    pub test_name: String,
    /// `dbt_utils` for `dbt_utils.expression_is_true`, else `None`.
    pub namespace: Option<String>,
    /// The unique id of the model, seed, snapshot or source the test is attached to.
    pub attached_to: String,
    pub column_name: Option<String>,
    pub kwargs: IndexMap<String, Json>,
}

/// A source table from the sources YAML, with its sample data loads.
#[derive(Debug, Clone, Serialize)]
pub struct SourceTable {
    pub unique_id: String,
    /// The project or package whose YAML declares it.
    pub package_name: String,
    pub source_name: String,
    pub name: String,
    pub relation: Relation,
    pub loaded_at_field: Option<String>,
    pub freshness: Json,
    pub description: String,
    /// The description of the source the table belongs to.
    pub source_description: String,
    pub columns: Vec<ColumnDoc>,
    /// Sample data files in load order (oldest first).
    pub loads: Vec<SourceLoad>,
    pub location: Location,
}

/// One load of a source table: a file and the moment it landed.
#[derive(Debug, Clone, Serialize)]
pub struct SourceLoad {
    pub path: String,
    /// `YYYY-MM-DD HH:MI:SS`, as Redshift prints a timestamp.
    pub loaded_at: String,
}

/// A model, seed, snapshot or test.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub unique_id: String,
    pub name: String,
    pub kind: NodeKind,
    /// The project or installed package the node belongs to (dbt's `package_name`).
    pub package_name: String,
    /// The file the node comes from, relative to the project root.
    pub path: String,
    /// The file relative to its package's folder (dbt's `original_file_path`); for the root
    /// project's nodes, `path` itself.
    pub original_file_path: String,
    /// dbt's fully qualified name: the package, the folders below the resource path, the
    /// name. Selectors and `dbt_project.yml` configs address nodes by it.
    pub fqn: Vec<String>,
    /// The SQL with Jinja as written (for snapshots, the block body).
    pub raw_sql: String,
    /// Where `raw_sql` starts in `path` (1-based line and column), for error locations.
    pub raw_start: (usize, usize),
    pub config: Config,
    /// `config`, typed: what the node builds and how.
    pub materialization: Materialization,
    pub description: String,
    pub columns: Vec<ColumnDoc>,
    /// Constraints over several columns, from the model's `constraints:`.
    pub constraints: Vec<constraints::Constraint>,
    /// Unique ids of the nodes and sources this node reads.
    pub depends_on: Vec<String>,
    /// The dependencies as the node's files name them, until loading resolves them into
    /// `depends_on`.
    #[serde(skip)]
    pub(crate) named_deps: Vec<NamedDep>,
    /// Why the file did not render when the project was parsed (an unknown macro, a
    /// `raise_compiler_error`): the node fails with it, while the rest of the project loads.
    #[serde(skip)]
    pub parse_error: Option<Diagnostic>,
    /// Set for tests generated from YAML.
    pub generic_test: Option<GenericTest>,
    /// Set for unit tests: their inputs, expectation and overrides.
    #[serde(skip)]
    pub unit_test: Option<std::sync::Arc<unit_tests::UnitTest>>,
    /// Set for a version of a versioned model.
    pub version: Option<ModelVersion>,
    /// What a deploy does around the relation: grants, comments.
    #[serde(skip)]
    pub deploy: resolved::Deploy,
    /// Where the node is declared (the YAML entry for generic tests).
    pub location: Location,
    pub relation: Relation,
}

/// Which version of a versioned model a node is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelVersion {
    pub v: String,
    /// Whether it is the version `ref` without `v=` names (`latest_version`, else the
    /// greatest).
    pub latest: bool,
}

/// A dependency as a file names it: `ref('x')`, `source('a', 'b')`, or, for a test
/// generated from YAML, the node it is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NamedDep {
    Ref {
        package: Option<String>,
        name: String,
    },
    Source {
        source: String,
        table: String,
    },
    Node(String),
}

impl Node {
    /// dbt's checksum: of a seed's file, of a node's SQL as written.
    pub fn checksum(&self, project: &Project) -> String {
        match self.kind {
            NodeKind::Seed => {
                crate::artifacts::sha256(project.files.get(&self.path).unwrap_or_default())
            }
            _ => crate::artifacts::sha256(self.raw_sql.as_bytes()),
        }
    }

    /// The name `ref` finds it by: `name`, or `name.v<version>` for a version.
    pub fn ref_name(&self) -> String {
        match &self.version {
            Some(v) => format!("{}.v{}", self.name, v.v),
            None => self.name.clone(),
        }
    }

    /// dbt's `path`: the file below its resource path (`staging/stg_orders.sql`); for a test
    /// from YAML, the file its SQL is compiled to.
    pub fn resource_path(&self) -> String {
        if self.generic_test.is_some() {
            return format!("{}.sql", self.name);
        }
        let file = self.path.rsplit('/').next().unwrap_or(&self.path);
        // A unit test's fqn ends with its model's name and its own; a versioned model's with
        // its name and `v<version>`.
        let tail = if self.kind == NodeKind::UnitTest || self.version.is_some() {
            2
        } else {
            1
        };
        let folders = self
            .fqn
            .get(1..self.fqn.len().saturating_sub(tail))
            .unwrap_or(&[]);
        folders
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(file))
            .collect::<Vec<_>>()
            .join("/")
    }

    /// dbt's name for how the node is built (`view`, `table`, ..., `seed`, `test`).
    pub fn materialized(&self) -> Materialized {
        match self.kind {
            NodeKind::Source => Materialized::Source,
            _ => self.materialization.kind(),
        }
    }
}

/// The target the project builds into (dbt's `target` variable).
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub database: String,
    pub schema: String,
    #[serde(rename = "type")]
    pub adapter_type: String,
    pub threads: u32,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            name: "dev".into(),
            database: "dev".into(),
            schema: "analytics".into(),
            adapter_type: "redshift".into(),
            threads: 1,
        }
    }
}

/// Everything the engine knows about a project after parsing.
#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub files: ProjectFiles,
    pub target: Target,
    /// The vars the root project's nodes see: `--vars`, then `dbt_project.yml`'s.
    pub vars: IndexMap<String, Json>,
    /// The vars each installed package's nodes see, by package name: `--vars`, the root
    /// project's (those it scopes to the package first), then the package's own.
    pub package_vars: IndexMap<String, IndexMap<String, Json>>,
    pub env: IndexMap<String, String>,
    /// Nodes by unique id, in file order.
    pub nodes: IndexMap<String, Node>,
    pub sources: IndexMap<String, SourceTable>,
    /// Macro files: path and source text (`{% test %}` blocks already turned into macros).
    pub macro_files: Vec<(String, String)>,
    /// The packages `dbt deps` installed in `dbt_packages/`, by name.
    pub packages: Vec<Package>,
    /// Problems that do not stop a build (e.g. a stray byte in a CSV file).
    pub warnings: Vec<crate::diagnostic::Diagnostic>,
    /// Paths that are part of no resource, kept so that nothing a user brought is lost.
    pub unused_files: Vec<String>,
    /// `on-run-start` and `on-run-end` in the order dbt runs them: the packages' by package
    /// name, then the root project's, each in its `dbt_project.yml`'s order.
    pub on_run_start: Vec<ProjectHook>,
    pub on_run_end: Vec<ProjectHook>,
}

/// One statement template of `on-run-start` or `on-run-end`, rendered when it runs.
#[derive(Debug, Clone)]
pub struct ProjectHook {
    pub sql: String,
    pub at: crate::diagnostic::Location,
    /// The project or package that declares it, whose vars it renders with.
    pub package: String,
}

impl Project {
    /// The vars a node of `package` sees.
    pub fn vars_of(&self, package: &str) -> &IndexMap<String, Json> {
        self.package_vars.get(package).unwrap_or(&self.vars)
    }

    /// The relation of the node or source table with this unique id.
    pub fn relation_of(&self, unique_id: &str) -> Option<&Relation> {
        self.nodes
            .get(unique_id)
            .map(|n| &n.relation)
            .or_else(|| self.sources.get(unique_id).map(|s| &s.relation))
    }

    pub fn node_by_name(&self, kind: NodeKind, name: &str) -> Option<&Node> {
        self.nodes
            .values()
            .find(|n| n.kind == kind && n.name == name)
    }
}
