//! A node's config as typed values, resolved once, at load, from the merged [`Config`]:
//! what it materializes as, with the fields each materialization has (table keys,
//! incremental strategy, snapshot strategy and meta column names, test severity and
//! thresholds). Run, check, export and the advisor read these and nothing else, so they
//! cannot disagree about what a config means. A value dbt would reject is a diagnostic at
//! the place it was set, and the node is [`Materialization::Invalid`]: it fails on its own
//! and the rest of the project still builds.

use serde::Serialize;
use serde_json::Value as Json;

use super::config::Config;
use super::{Node, NodeKind};
use crate::diagnostic::{Code, Diagnostic, Location};

/// How a node is built.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "materialized", rename_all = "snake_case")]
pub enum Materialization {
    View {
        /// `bind: false` makes a late-binding view (`with no schema binding`).
        bind: bool,
        /// dbt checks a view's contract too (names and types; a view has no constraints).
        contract_enforced: bool,
    },
    Table(TableKeys),
    Incremental {
        keys: TableKeys,
        incremental: Incremental,
    },
    Ephemeral,
    MaterializedView {
        keys: TableKeys,
        auto_refresh: bool,
    },
    Seed {
        keys: TableKeys,
        seed: SeedConfig,
    },
    Snapshot {
        keys: TableKeys,
        snapshot: Snapshot,
    },
    Test(TestConfig),
    /// A unit test (dbt's `unit` materialization): it builds nothing.
    Unit,
    /// The config has a value dbt would reject; the node fails with these at build time.
    Invalid(Vec<Diagnostic>),
}

/// The materializations modelplay builds, by the name `materialized` takes.
pub const MATERIALIZATIONS: &[&str] = &[
    "view",
    "table",
    "incremental",
    "ephemeral",
    "materialized_view",
];

/// Which materialization a node has, without its fields: what results, the CLI's log and the
/// manifest name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Materialized {
    View,
    Table,
    Incremental,
    Ephemeral,
    MaterializedView,
    Seed,
    Snapshot,
    Test,
    Unit,
    Source,
    /// A config dbt would reject.
    Invalid,
}

impl Materialized {
    /// dbt's name for it, as `manifest.json` and the page show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Materialized::View => "view",
            Materialized::Table => "table",
            Materialized::Incremental => "incremental",
            Materialized::Ephemeral => "ephemeral",
            Materialized::MaterializedView => "materialized_view",
            Materialized::Seed => "seed",
            Materialized::Snapshot => "snapshot",
            Materialized::Test => "test",
            Materialized::Unit => "unit",
            Materialized::Source => "source",
            Materialized::Invalid => "invalid",
        }
    }
}

impl std::fmt::Display for Materialized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Materialization {
    pub fn kind(&self) -> Materialized {
        match self {
            Materialization::View { .. } => Materialized::View,
            Materialization::Table(_) => Materialized::Table,
            Materialization::Incremental { .. } => Materialized::Incremental,
            Materialization::Ephemeral => Materialized::Ephemeral,
            Materialization::MaterializedView { .. } => Materialized::MaterializedView,
            Materialization::Seed { .. } => Materialized::Seed,
            Materialization::Snapshot { .. } => Materialized::Snapshot,
            Materialization::Test(_) => Materialized::Test,
            Materialization::Unit => Materialized::Unit,
            Materialization::Invalid(_) => Materialized::Invalid,
        }
    }

    pub fn is_ephemeral(&self) -> bool {
        matches!(self, Materialization::Ephemeral)
    }

    /// Whether dbt checks the node's output against its declared columns before the build.
    pub fn contract_enforced(&self) -> bool {
        match self {
            Materialization::View {
                contract_enforced, ..
            } => *contract_enforced,
            other => other.table_keys().is_some_and(|k| k.contract_enforced),
        }
    }

    /// The physical table's keys, for what builds a table (not a view, test or CTE).
    pub fn table_keys(&self) -> Option<&TableKeys> {
        match self {
            Materialization::Table(keys)
            | Materialization::Seed { keys, .. }
            | Materialization::Incremental { keys, .. }
            | Materialization::MaterializedView { keys, .. }
            | Materialization::Snapshot { keys, .. } => Some(keys),
            _ => None,
        }
    }

    pub fn seed(&self) -> Option<&SeedConfig> {
        match self {
            Materialization::Seed { seed, .. } => Some(seed),
            _ => None,
        }
    }

    pub fn incremental(&self) -> Option<&Incremental> {
        match self {
            Materialization::Incremental { incremental, .. } => Some(incremental),
            _ => None,
        }
    }

    pub fn snapshot(&self) -> Option<&Snapshot> {
        match self {
            Materialization::Snapshot { snapshot, .. } => Some(snapshot),
            _ => None,
        }
    }

    pub fn test(&self) -> Option<&TestConfig> {
        match self {
            Materialization::Test(t) => Some(t),
            _ => None,
        }
    }

    pub fn problems(&self) -> &[Diagnostic] {
        match self {
            Materialization::Invalid(problems) => problems,
            _ => &[],
        }
    }
}

/// How a seed's CSV file is read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedConfig {
    /// `column_types`: column (lowercased) to the Redshift type it is loaded as.
    pub column_types: Vec<(String, String)>,
    #[serde(skip)]
    pub column_types_at: Option<Location>,
    pub delimiter: u8,
}

/// Redshift's distribution style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dist {
    All,
    Even,
    Auto,
    Key(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortType {
    Compound,
    Interleaved,
}

impl SortType {
    pub fn as_str(self) -> &'static str {
        match self {
            SortType::Compound => "compound",
            SortType::Interleaved => "interleaved",
        }
    }
}

/// A table's physical keys: `dist`, `sort`, `sort_type`, `backup`, each with where it was
/// set (for the checks that need the table's columns).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableKeys {
    pub dist: Option<Dist>,
    /// Column names, lowercased as Redshift folds them.
    pub sort: Vec<String>,
    pub sort_type: SortType,
    pub backup: bool,
    /// `contract: {enforced: true}`: the table is created with its declared columns.
    pub contract_enforced: bool,
    #[serde(skip)]
    pub dist_at: Option<Location>,
    #[serde(skip)]
    pub sort_at: Option<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IncrementalStrategy {
    #[serde(rename = "append")]
    Append,
    #[serde(rename = "delete+insert")]
    DeleteInsert,
    #[serde(rename = "merge")]
    Merge,
    #[serde(rename = "microbatch")]
    Microbatch,
}

impl IncrementalStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            IncrementalStrategy::Append => "append",
            IncrementalStrategy::DeleteInsert => "delete+insert",
            IncrementalStrategy::Merge => "merge",
            IncrementalStrategy::Microbatch => "microbatch",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnSchemaChange {
    Ignore,
    Fail,
    AppendNewColumns,
    SyncAllColumns,
}

/// An incremental model's strategy, key and schema-change rule. The default strategy is
/// dbt-redshift's: `delete+insert` with a `unique_key`, `append` without.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incremental {
    pub strategy: IncrementalStrategy,
    /// Lowercased, as Redshift folds unquoted names.
    pub unique_key: Vec<String>,
    pub on_schema_change: OnSchemaChange,
    /// The model's own `full_refresh`, which wins over `--full-refresh`.
    pub full_refresh: Option<bool>,
    /// `merge_update_columns`: the only columns a merge updates (all when `None`).
    pub merge_update_columns: Option<Vec<String>>,
    /// `merge_exclude_columns`: columns a merge leaves as they are.
    pub merge_exclude_columns: Vec<String>,
    /// `incremental_predicates`: conditions that limit which target rows a run touches.
    pub predicates: Vec<String>,
    /// The `microbatch` strategy's `event_time`, `begin`, `batch_size` and `lookback`.
    pub microbatch: Option<super::microbatch::Microbatch>,
}

/// What a deploy does around a relation besides building it: `grants` and `persist_docs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Deploy {
    /// Privilege (`select`, ...) to grantees, in the config's order.
    pub grants: Vec<(String, Vec<String>)>,
    /// `persist_docs: {relation: true}`: the description as the relation's comment.
    pub relation_docs: bool,
    /// `persist_docs: {columns: true}`: the columns' descriptions as their comments.
    pub column_docs: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotStrategy {
    /// A row changed when its `updated_at` moved.
    Timestamp { updated_at: String },
    /// A row changed when one of these columns did (`None`: `check_cols='all'`).
    Check { columns: Option<Vec<String>> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HardDeletes {
    Ignore,
    Invalidate,
    NewRecord,
}

/// The snapshot's meta columns, after `snapshot_meta_column_names`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetaNames {
    pub scd_id: String,
    pub updated_at: String,
    pub valid_from: String,
    pub valid_to: String,
    pub is_deleted: String,
}

impl MetaNames {
    /// The meta columns a snapshot table has, in dbt's order.
    pub fn columns(&self, hard_deletes: HardDeletes) -> Vec<&str> {
        let mut names = vec![
            self.scd_id.as_str(),
            self.updated_at.as_str(),
            self.valid_from.as_str(),
            self.valid_to.as_str(),
        ];
        if hard_deletes == HardDeletes::NewRecord {
            names.push(self.is_deleted.as_str());
        }
        names
    }
}

/// A snapshot's SCD type 2 rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// A column, an expression or several of either.
    pub unique_key: Vec<String>,
    pub strategy: SnapshotStrategy,
    pub hard_deletes: HardDeletes,
    /// `dbt_valid_to_current`: the expression current rows get instead of NULL.
    pub valid_to_current: Option<String>,
    pub names: MetaNames,
}

impl Snapshot {
    /// The expression each version is stamped with: `updated_at` for the timestamp
    /// strategy, the run time for the check strategy.
    pub fn updated_at(&self) -> &str {
        match &self.strategy {
            SnapshotStrategy::Timestamp { updated_at } => updated_at,
            SnapshotStrategy::Check { .. } => "getdate()",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestSeverity {
    Error,
    Warn,
}

/// A comparison of a test's failure count, as `warn_if` and `error_if` write it (`!= 0`,
/// `>10`, `>= 5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Threshold {
    pub op: CountOp,
    pub n: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CountOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Threshold {
    pub fn holds(self, failures: u64) -> bool {
        let n = self.n;
        match self.op {
            CountOp::Eq => failures == n,
            CountOp::Ne => failures != n,
            CountOp::Gt => failures > n,
            CountOp::Ge => failures >= n,
            CountOp::Lt => failures < n,
            CountOp::Le => failures <= n,
        }
    }

    /// Reads `!= 0`, `>10`, `>= 5`, `=3`, `<> 1`; a bare number is no comparison, as in dbt.
    pub fn parse(text: &str) -> Option<Threshold> {
        let t = text.trim();
        let (op, rest) = [
            ("!=", CountOp::Ne),
            ("<>", CountOp::Ne),
            (">=", CountOp::Ge),
            ("<=", CountOp::Le),
            ("==", CountOp::Eq),
            (">", CountOp::Gt),
            ("<", CountOp::Lt),
            ("=", CountOp::Eq),
        ]
        .iter()
        .find_map(|(p, op)| t.strip_prefix(p).map(|rest| (*op, rest)))?;
        rest.trim().parse().ok().map(|n| Threshold { op, n })
    }
}

/// A data test's severity and thresholds, with dbt's defaults (`error`, `!= 0`, `!= 0`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestConfig {
    pub severity: TestSeverity,
    pub warn_if: Threshold,
    pub error_if: Threshold,
    /// `where`: a filter on the tested relation.
    pub filter: Option<String>,
    pub limit: Option<u64>,
    /// `fail_calc`: how the failures are counted from the test's rows; none for dbt's
    /// default, `count(*)`.
    pub fail_calc: Option<String>,
}

impl TestConfig {
    /// dbt's rule: with severity `error`, `error_if` decides fail, else `warn_if` decides
    /// warn; with severity `warn`, only `warn_if` is looked at.
    pub fn status(&self, failures: u64) -> TestOutcome {
        if self.severity == TestSeverity::Error && self.error_if.holds(failures) {
            TestOutcome::Fail
        } else if self.warn_if.holds(failures) {
            TestOutcome::Warn
        } else {
            TestOutcome::Pass
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOutcome {
    Pass,
    Warn,
    Fail,
}

/// Resolves `node`'s merged config: how it is built, and what a deploy does around it.
/// `text` reads a project file, for quoting the line of a diagnostic.
pub fn resolve(node: &Node, text: &dyn Fn(&str) -> Option<String>) -> (Materialization, Deploy) {
    let mut r = Resolver {
        config: &node.config,
        node,
        text,
        problems: Vec::new(),
    };
    let m = r.materialization();
    let deploy = if node.kind.is_test() {
        Deploy::default()
    } else {
        r.deploy()
    };
    if r.problems.is_empty() {
        (m, deploy)
    } else {
        (Materialization::Invalid(r.problems), deploy)
    }
}

struct Resolver<'a> {
    config: &'a Config,
    node: &'a Node,
    text: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<Diagnostic>,
}

impl Resolver<'_> {
    fn at(&self, key: &str) -> Location {
        self.config
            .at(key)
            .cloned()
            .unwrap_or_else(|| self.node.location.clone())
    }

    fn fail(&mut self, key: &str, message: String, hint: Option<String>) {
        let at = self.at(key);
        let mut d = Diagnostic::error(Code::Config, at.clone(), message);
        if let Some(text) = (self.text)(&at.file) {
            d = d.with_source(&text);
        }
        if let Some(h) = hint {
            d = d.with_hint(h);
        }
        self.problems.push(d);
    }

    fn string(&mut self, key: &str) -> Option<String> {
        self.string_or(key, None)
    }

    /// A string; `hint` says what a wrong value should be instead.
    fn string_or(&mut self, key: &str, hint: Option<&str>) -> Option<String> {
        match self.config.get(key)? {
            Json::String(s) => Some(s.clone()),
            other => {
                let message = format!("`{key}` must be a string, found {other}");
                self.fail(key, message, hint.map(str::to_string));
                None
            }
        }
    }

    fn boolean(&mut self, key: &str, default: bool) -> bool {
        match self.config.get(key) {
            None => default,
            Some(_) => match self.config.bool(key) {
                Some(b) => b,
                None => {
                    let message = format!(
                        "`{key}` must be true or false, found {}",
                        self.config
                            .get(key)
                            .map(Json::to_string)
                            .unwrap_or_default()
                    );
                    self.fail(key, message, None);
                    default
                }
            },
        }
    }

    /// A string or a list of strings.
    fn names(&mut self, key: &str) -> Vec<String> {
        match self.config.get(key) {
            None => Vec::new(),
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => self.config.list(key),
            Some(other) => {
                let message = format!("`{key}` must be a name or a list of names, found {other}");
                self.fail(key, message, None);
                Vec::new()
            }
        }
    }

    /// One of `choices`, by its config spelling.
    fn choice<T: Copy>(&mut self, key: &str, choices: &[(&str, T)], default: T) -> T {
        let Some(value) = self.string(key) else {
            return default;
        };
        match choices
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value.trim()))
        {
            Some((_, v)) => *v,
            None => {
                let names: Vec<String> = choices.iter().map(|(n, _)| format!("'{n}'")).collect();
                let hint = crate::project::load::suggest(
                    &value,
                    choices
                        .iter()
                        .map(|(n, _)| n.to_string())
                        .collect::<Vec<_>>()
                        .iter(),
                )
                .map(|best| format!("did you mean '{best}'?"));
                let message = format!("`{key}` must be {}, found '{value}'", one_of(&names));
                self.fail(key, message, hint);
                default
            }
        }
    }

    fn materialization(&mut self) -> Materialization {
        match self.node.kind {
            NodeKind::Seed => {
                let keys = self.table_keys();
                let seed = self.seed();
                Materialization::Seed { keys, seed }
            }
            NodeKind::Snapshot => {
                let keys = self.table_keys();
                let snapshot = self.snapshot();
                Materialization::Snapshot { keys, snapshot }
            }
            NodeKind::Test => Materialization::Test(self.test()),
            NodeKind::UnitTest => Materialization::Unit,
            NodeKind::Source => Materialization::Invalid(Vec::new()),
            NodeKind::Model => {
                let name = self.string("materialized");
                match name.as_deref().map(str::trim) {
                    None | Some("view") => Materialization::View {
                        bind: self.boolean("bind", true),
                        contract_enforced: self.contract_enforced(),
                    },
                    Some("table") => Materialization::Table(self.table_keys()),
                    Some("incremental") => {
                        let keys = self.table_keys();
                        let incremental = self.incremental();
                        Materialization::Incremental { keys, incremental }
                    }
                    Some("ephemeral") => Materialization::Ephemeral,
                    Some("materialized_view") => Materialization::MaterializedView {
                        keys: self.table_keys(),
                        auto_refresh: self.boolean("auto_refresh", false),
                    },
                    Some(other) => {
                        let options: Vec<String> =
                            MATERIALIZATIONS.iter().map(|s| s.to_string()).collect();
                        let hint = match crate::project::load::suggest(other, options.iter()) {
                            Some(best) => format!("did you mean '{best}'?"),
                            None => format!("modelplay builds {}", MATERIALIZATIONS.join(", ")),
                        };
                        let message =
                            format!("unknown materialization '{other}' for `{}`", self.node.name);
                        self.fail("materialized", message, Some(hint));
                        Materialization::Ephemeral
                    }
                }
            }
        }
    }

    fn table_keys(&mut self) -> TableKeys {
        let dist_hint = "use a column name, 'all', 'even' or 'auto'";
        let dist = self.string_or("dist", Some(dist_hint)).map(|d| {
            let d = d.trim().to_lowercase();
            match d.as_str() {
                "all" => Dist::All,
                "even" => Dist::Even,
                "auto" => Dist::Auto,
                _ => Dist::Key(d),
            }
        });
        let sort: Vec<String> = self
            .names("sort")
            .iter()
            .map(|s| s.trim().to_lowercase())
            .collect();
        let sort_type = self.choice(
            "sort_type",
            &[
                ("compound", SortType::Compound),
                ("interleaved", SortType::Interleaved),
            ],
            SortType::Compound,
        );
        let contract_enforced = self.contract_enforced();
        TableKeys {
            dist,
            sort,
            sort_type,
            backup: self.boolean("backup", true),
            contract_enforced,
            dist_at: self.config.at("dist").cloned(),
            sort_at: self.config.at("sort").cloned(),
        }
    }

    /// `contract: {enforced: true}`.
    fn contract_enforced(&mut self) -> bool {
        match self.config.get("contract") {
            None => false,
            Some(Json::Object(c)) => match c.get("enforced") {
                None | Some(Json::Bool(false)) => false,
                Some(Json::Bool(true)) => true,
                Some(other) => {
                    let message =
                        format!("`contract.enforced` must be true or false, found {other}");
                    self.fail("contract", message, None);
                    false
                }
            },
            Some(other) => {
                let message = format!(
                    "`contract` must be a mapping such as {{enforced: true}}, found {other}"
                );
                self.fail("contract", message, None);
                false
            }
        }
    }

    fn seed(&mut self) -> SeedConfig {
        let column_types = match self.config.get("column_types") {
            None => Vec::new(),
            Some(Json::Object(map)) if map.values().all(Json::is_string) => map
                .iter()
                .filter_map(|(k, v)| Some((k.to_lowercase(), v.as_str()?.to_string())))
                .collect(),
            Some(other) => {
                let message =
                    format!("`column_types` must map column names to types, found {other}");
                // `{price: numeric(10,2)}` reads as two keys, `price: numeric(10` and `2)`.
                let hint =
                    matches!(other, Json::Object(m) if m.values().any(Json::is_null)).then(|| {
                        "in a {...} mapping, quote a type with a comma: {price: 'numeric(10,2)'}"
                            .to_string()
                    });
                self.fail("column_types", message, hint);
                Vec::new()
            }
        };
        let delimiter = match self.string("delimiter") {
            None => b',',
            Some(d) if d.len() == 1 => d.as_bytes()[0],
            Some(d) => {
                self.fail(
                    "delimiter",
                    format!("`delimiter` must be one character, found '{d}'"),
                    None,
                );
                b','
            }
        };
        SeedConfig {
            column_types,
            column_types_at: self.config.at("column_types").cloned(),
            delimiter,
        }
    }

    fn incremental(&mut self) -> Incremental {
        let unique_key: Vec<String> = self
            .names("unique_key")
            .iter()
            .map(|k| k.to_lowercase())
            .collect();
        let default = if unique_key.is_empty() {
            IncrementalStrategy::Append
        } else {
            IncrementalStrategy::DeleteInsert
        };
        let strategy = self.choice(
            "incremental_strategy",
            &[
                ("append", IncrementalStrategy::Append),
                ("delete+insert", IncrementalStrategy::DeleteInsert),
                ("merge", IncrementalStrategy::Merge),
                ("microbatch", IncrementalStrategy::Microbatch),
            ],
            default,
        );
        let microbatch = (strategy == IncrementalStrategy::Microbatch)
            .then(|| self.microbatch())
            .flatten();
        let keyed = matches!(
            strategy,
            IncrementalStrategy::DeleteInsert | IncrementalStrategy::Merge
        );
        if keyed && unique_key.is_empty() {
            let message = format!("the {} strategy needs a unique_key", strategy.as_str());
            self.fail(
                "incremental_strategy",
                message,
                Some("add unique_key='id' (the column that identifies a row)".into()),
            );
        }
        let on_schema_change = self.choice(
            "on_schema_change",
            &[
                ("ignore", OnSchemaChange::Ignore),
                ("fail", OnSchemaChange::Fail),
                ("append_new_columns", OnSchemaChange::AppendNewColumns),
                ("sync_all_columns", OnSchemaChange::SyncAllColumns),
            ],
            OnSchemaChange::Ignore,
        );
        let full_refresh = self
            .config
            .contains("full_refresh")
            .then(|| self.boolean("full_refresh", false));
        let lowered = |names: Vec<String>| names.iter().map(|n| n.trim().to_lowercase()).collect();
        let merge_update_columns = self
            .config
            .contains("merge_update_columns")
            .then(|| lowered(self.names("merge_update_columns")));
        let merge_exclude_columns: Vec<String> = lowered(self.names("merge_exclude_columns"));
        if merge_update_columns.is_some() && !merge_exclude_columns.is_empty() {
            self.fail(
                "merge_exclude_columns",
                "a model cannot set both merge_update_columns and merge_exclude_columns".into(),
                Some("keep one: the columns to update, or the columns to leave alone".into()),
            );
        }
        let predicates = match self
            .config
            .get("incremental_predicates")
            .or(self.config.get("predicates"))
        {
            None => Vec::new(),
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            Some(other) => {
                let message =
                    format!("`incremental_predicates` must be a list of conditions, found {other}");
                self.fail("incremental_predicates", message, None);
                Vec::new()
            }
        };
        Incremental {
            strategy,
            unique_key,
            on_schema_change,
            full_refresh,
            merge_update_columns,
            merge_exclude_columns,
            predicates,
            microbatch,
        }
    }

    /// The microbatch strategy's settings; each one dbt needs is an error where it is missing.
    fn microbatch(&mut self) -> Option<super::microbatch::Microbatch> {
        use super::microbatch::{BatchSize, Microbatch};
        let missing = |this: &mut Self, key: &str, example: &str| {
            this.fail(
                "incremental_strategy",
                format!("the microbatch strategy needs `{key}`"),
                Some(format!("add {key}={example} to the model's config")),
            );
        };
        let event_time = self.string("event_time");
        if event_time.is_none() {
            missing(
                self,
                "event_time",
                "'ordered_at' (the column a batch is cut on)",
            );
        }
        let begin = match self.string("begin") {
            None => {
                missing(self, "begin", "'2024-01-01' (when the first batch starts)");
                None
            }
            Some(text) => {
                let parsed = crate::redshift::functions::parse_timestamp(text.trim());
                if parsed.is_none() {
                    self.fail(
                        "begin",
                        format!("`begin` must be a date or timestamp such as '2024-01-01', found '{text}'"),
                        None,
                    );
                }
                parsed
            }
        };
        let batch_size = match self.string("batch_size") {
            None => {
                missing(self, "batch_size", "'day' (or 'hour', 'month', 'year')");
                None
            }
            Some(text) => {
                let size = BatchSize::parse(&text);
                if size.is_none() {
                    self.fail(
                        "batch_size",
                        format!(
                            "`batch_size` must be 'hour', 'day', 'month' or 'year', found '{text}'"
                        ),
                        None,
                    );
                }
                size
            }
        };
        let lookback = match self.config.get("lookback") {
            None => 1,
            Some(Json::Number(n)) if n.as_u64().is_some() => {
                u32::try_from(n.as_u64().unwrap_or(1)).unwrap_or(1)
            }
            Some(other) => {
                let message =
                    format!("`lookback` must be a whole number of batches, found {other}");
                self.fail("lookback", message, None);
                1
            }
        };
        Some(Microbatch {
            event_time: event_time?.trim().to_lowercase(),
            begin: begin?,
            batch_size: batch_size?,
            lookback,
        })
    }

    /// `grants: {select: ['reporter', 'group:analysts']}` and `persist_docs`.
    fn deploy(&mut self) -> Deploy {
        let grants = match self.config.get("grants") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Object(map)) => {
                let mut out = Vec::new();
                let mut bad = None;
                for (privilege, grantees) in map {
                    let list = match grantees {
                        Json::String(s) => vec![s.clone()],
                        Json::Array(items) if items.iter().all(Json::is_string) => items
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_string))
                            .collect(),
                        other => {
                            bad = Some(format!(
                                "the grantees of `{privilege}` must be a name or a list of names, found {other}"
                            ));
                            continue;
                        }
                    };
                    out.push((privilege.trim().to_lowercase(), list));
                }
                if let Some(message) = bad {
                    self.fail("grants", message, None);
                }
                out
            }
            Some(other) => {
                let message = format!(
                    "`grants` must map privileges to grantees, such as {{select: ['reporter']}}, found {other}"
                );
                self.fail("grants", message, None);
                Vec::new()
            }
        };
        let (relation_docs, column_docs) = match self.config.get("persist_docs") {
            None | Some(Json::Null) => (false, false),
            Some(Json::Object(map)) => {
                let flag = |key: &str| map.get(key).and_then(Json::as_bool).unwrap_or(false);
                (flag("relation"), flag("columns"))
            }
            Some(other) => {
                let message = format!(
                    "`persist_docs` must be a mapping such as {{relation: true, columns: true}}, found {other}"
                );
                self.fail("persist_docs", message, None);
                (false, false)
            }
        };
        Deploy {
            grants,
            relation_docs,
            column_docs,
        }
    }

    fn snapshot(&mut self) -> Snapshot {
        let unique_key = self.names("unique_key");
        if unique_key.is_empty() && self.config.get("unique_key").is_none() {
            self.fail(
                "strategy",
                "snapshot needs a `unique_key` config".into(),
                Some("add unique_key='id' to the snapshot's config()".into()),
            );
        }
        let strategy = match self.string("strategy").as_deref().map(str::trim) {
            Some("timestamp") => match self.string("updated_at") {
                Some(col) => SnapshotStrategy::Timestamp { updated_at: col },
                None => {
                    self.fail(
                        "strategy",
                        "the timestamp strategy needs an `updated_at` config".into(),
                        Some("name the column that changes when a row changes".into()),
                    );
                    SnapshotStrategy::Check { columns: None }
                }
            },
            Some("check") => match self.config.get("check_cols") {
                Some(Json::String(s)) if s.eq_ignore_ascii_case("all") => {
                    SnapshotStrategy::Check { columns: None }
                }
                Some(Json::Array(_)) => SnapshotStrategy::Check {
                    columns: Some(
                        self.names("check_cols")
                            .iter()
                            .map(|c| c.to_lowercase())
                            .collect(),
                    ),
                },
                _ => {
                    let key = if self.config.contains("check_cols") {
                        "check_cols"
                    } else {
                        "strategy"
                    };
                    self.fail(
                        key,
                        "the check strategy needs `check_cols`: a list of columns or 'all'".into(),
                        None,
                    );
                    SnapshotStrategy::Check { columns: None }
                }
            },
            other => {
                let found = other.map_or("nothing".to_string(), |o| format!("'{o}'"));
                let choices = ["timestamp".to_string(), "check".to_string()];
                let hint = other
                    .and_then(|o| crate::project::load::suggest(o, choices.iter()))
                    .map(|best| format!("did you mean '{best}'?"));
                self.fail(
                    "strategy",
                    format!("snapshot strategy must be 'timestamp' or 'check', found {found}"),
                    hint,
                );
                SnapshotStrategy::Check { columns: None }
            }
        };
        let hard_deletes = if self.config.get("hard_deletes").is_some() {
            self.choice(
                "hard_deletes",
                &[
                    ("ignore", HardDeletes::Ignore),
                    ("invalidate", HardDeletes::Invalidate),
                    ("new_record", HardDeletes::NewRecord),
                ],
                HardDeletes::Ignore,
            )
        } else if self.boolean("invalidate_hard_deletes", false) {
            HardDeletes::Invalidate
        } else {
            HardDeletes::Ignore
        };
        let renamed = match self.config.get("snapshot_meta_column_names") {
            None => serde_json::Map::new(),
            Some(Json::Object(map)) => map.clone(),
            Some(other) => {
                let message = format!(
                    "`snapshot_meta_column_names` must map dbt's names to yours, found {other}"
                );
                self.fail("snapshot_meta_column_names", message, None);
                serde_json::Map::new()
            }
        };
        let name = |key: &str| {
            renamed
                .get(key)
                .and_then(Json::as_str)
                .unwrap_or(key)
                .to_lowercase()
        };
        Snapshot {
            unique_key,
            strategy,
            hard_deletes,
            valid_to_current: self.string("dbt_valid_to_current"),
            names: MetaNames {
                scd_id: name("dbt_scd_id"),
                updated_at: name("dbt_updated_at"),
                valid_from: name("dbt_valid_from"),
                valid_to: name("dbt_valid_to"),
                is_deleted: name("dbt_is_deleted"),
            },
        }
    }

    fn test(&mut self) -> TestConfig {
        let severity = self.choice(
            "severity",
            &[("error", TestSeverity::Error), ("warn", TestSeverity::Warn)],
            TestSeverity::Error,
        );
        let default = Threshold {
            op: CountOp::Ne,
            n: 0,
        };
        let mut threshold = |key: &str| match self.string(key) {
            None => default,
            Some(text) => match Threshold::parse(&text) {
                Some(t) => t,
                None => {
                    self.fail(
                        key,
                        format!("`{key}` must compare the failure count, as in '>10' or '!= 0', found '{text}'"),
                        None,
                    );
                    default
                }
            },
        };
        let warn_if = threshold("warn_if");
        let error_if = threshold("error_if");
        let limit = match self.config.get("limit") {
            None => None,
            Some(v) => match v.as_u64() {
                Some(n) => Some(n),
                None => {
                    self.fail(
                        "limit",
                        format!("`limit` must be a whole number of rows, found {v}"),
                        None,
                    );
                    None
                }
            },
        };
        let fail_calc = self.string("fail_calc").filter(|f| {
            let plain: String = f.chars().filter(|c| !c.is_whitespace()).collect();
            !plain.eq_ignore_ascii_case("count(*)")
        });
        TestConfig {
            severity,
            warn_if,
            error_if,
            filter: self.string("where"),
            limit,
            fail_calc,
        }
    }
}

/// A model with `config` (JSON, as a YAML `config:` block holds it), resolved: for tests of
/// what reads the resolved config.
#[cfg(test)]
pub(crate) fn model_with(config: Json) -> Materialization {
    let at = Location::new("models/m.sql", 1, 1);
    let node = Node {
        unique_id: "model.p.m".into(),
        name: "m".into(),
        kind: NodeKind::Model,
        package_name: "p".into(),
        path: "models/m.sql".into(),
        original_file_path: "models/m.sql".into(),
        fqn: vec!["p".into(), "m".into()],
        raw_sql: String::new(),
        raw_start: (1, 1),
        config: super::config::config_from_json(&config, &at),
        materialization: Materialization::Ephemeral,
        description: String::new(),
        columns: Vec::new(),
        constraints: Vec::new(),
        depends_on: Vec::new(),
        named_deps: Vec::new(),
        parse_error: None,
        generic_test: None,
        unit_test: None,
        version: None,
        deploy: Deploy::default(),
        location: at,
        relation: crate::relation::Relation::new("dev", "analytics", "m"),
    };
    resolve(&node, &|_| None).0
}

fn one_of(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn materializations_and_their_fields() {
        use serde_json::json;
        assert_eq!(
            model_with(json!({})),
            Materialization::View {
                bind: true,
                contract_enforced: false
            }
        );
        let m = model_with(json!({"materialized": "incremental", "unique_key": "ID"}));
        let inc = m.incremental().unwrap();
        assert_eq!(inc.strategy, IncrementalStrategy::DeleteInsert);
        assert_eq!(inc.unique_key, vec!["id"]);
        let m = model_with(
            json!({"materialized": "table", "dist": " EVEN ", "sort": ["B", "a"], "sort_type": "interleaved", "backup": false}),
        );
        let keys = m.table_keys().unwrap();
        assert_eq!(keys.dist, Some(Dist::Even));
        assert_eq!(keys.sort, vec!["b", "a"]);
        assert_eq!(keys.sort_type, SortType::Interleaved);
        assert!(!keys.backup);
    }

    #[test]
    fn a_value_dbt_rejects_is_located_where_it_was_set() {
        use serde_json::json;
        let m = model_with(json!({"materialized": "tabel"}));
        let problems = m.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].hint.as_deref(), Some("did you mean 'table'?"));
        assert_eq!(problems[0].location, Location::new("models/m.sql", 1, 1));
        let m = model_with(json!({"materialized": "incremental", "incremental_strategy": "merge"}));
        assert!(m.problems()[0].message.contains("needs a unique_key"));
        let m = model_with(json!({"materialized": "table", "sort_type": "zigzag"}));
        assert!(
            m.problems()[0]
                .message
                .contains("'compound' or 'interleaved'")
        );
    }

    #[test]
    fn thresholds_read_as_dbt_writes_them() {
        let t = |s| Threshold::parse(s).unwrap();
        assert!(t("!= 0").holds(3) && !t("!= 0").holds(0));
        assert!(t(">10").holds(11) && !t(">10").holds(10));
        assert!(t(">= 5").holds(5));
        assert!(t("=3").holds(3) && t("==3").holds(3));
        assert!(t("<2").holds(1) && t("<=2").holds(2));
        assert!(t("<> 1").holds(2));
        assert_eq!(Threshold::parse("lots"), None);
        assert_eq!(Threshold::parse("5"), None);
    }

    #[test]
    fn test_status_follows_dbt() {
        let never = Threshold::parse("!= 0").unwrap();
        let mut c = TestConfig {
            severity: TestSeverity::Error,
            warn_if: never,
            error_if: never,
            filter: None,
            limit: None,
            fail_calc: None,
        };
        assert_eq!(c.status(0), TestOutcome::Pass);
        assert_eq!(c.status(3), TestOutcome::Fail);
        c.severity = TestSeverity::Warn;
        assert_eq!(c.status(3), TestOutcome::Warn);
        c.severity = TestSeverity::Error;
        c.warn_if = Threshold::parse(">1").unwrap();
        c.error_if = Threshold::parse(">10").unwrap();
        assert_eq!(c.status(1), TestOutcome::Pass);
        assert_eq!(c.status(5), TestOutcome::Warn);
        assert_eq!(c.status(11), TestOutcome::Fail);
    }
}
