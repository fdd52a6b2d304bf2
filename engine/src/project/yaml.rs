//! The YAML files of a dbt project, deserialised with their source locations.

use serde::Deserialize;
use serde_json::Value as Json;
use serde_saphyr::Spanned;

use super::constraints::ConstraintYaml;
use super::yaml_tree::YamlTree;
use crate::diagnostic::{Code, Diagnostic, Location};

/// `dbt_project.yml`: the root project's, or an installed package's own.
#[derive(Debug, Deserialize)]
pub struct DbtProjectYaml {
    pub name: Spanned<String>,
    #[serde(default, rename = "model-paths", alias = "source-paths")]
    pub model_paths: Option<Vec<String>>,
    #[serde(default, rename = "seed-paths", alias = "data-paths")]
    pub seed_paths: Option<Vec<String>>,
    #[serde(default, rename = "test-paths")]
    pub test_paths: Option<Vec<String>>,
    #[serde(default, rename = "macro-paths")]
    pub macro_paths: Option<Vec<String>>,
    #[serde(default, rename = "snapshot-paths")]
    pub snapshot_paths: Option<Vec<String>>,
    #[serde(default)]
    pub vars: Json,
    #[serde(default)]
    pub models: YamlTree,
    #[serde(default)]
    pub seeds: YamlTree,
    #[serde(default)]
    pub snapshots: YamlTree,
    #[serde(default, alias = "data_tests")]
    pub tests: YamlTree,
    #[serde(default)]
    pub unit_tests: YamlTree,
    #[serde(default)]
    pub sources: Json,
    /// Where `adapter.dispatch` looks for each macro namespace, in order.
    #[serde(default)]
    pub dispatch: Vec<DispatchYaml>,
    /// SQL for the warehouse before and after a run: read only to say that it is not run.
    #[serde(default, rename = "on-run-start")]
    pub on_run_start: Option<Spanned<Json>>,
    #[serde(default, rename = "on-run-end")]
    pub on_run_end: Option<Spanned<Json>>,
}

/// One `dispatch:` entry of `dbt_project.yml`.
#[derive(Debug, Clone, Deserialize)]
pub struct DispatchYaml {
    pub macro_namespace: String,
    pub search_order: Vec<String>,
}

/// A properties file (`schema.yml`, `_sources.yml`, ...), version 2.
#[derive(Debug, Default, Deserialize)]
pub struct PropertiesYaml {
    #[serde(default)]
    pub models: Vec<NodeYaml>,
    #[serde(default)]
    pub seeds: Vec<NodeYaml>,
    #[serde(default)]
    pub snapshots: Vec<NodeYaml>,
    #[serde(default)]
    pub sources: Vec<SourceYaml>,
    /// dbt's unit tests.
    #[serde(default)]
    pub unit_tests: Vec<super::unit_tests::UnitTestYaml>,
}

/// A model, seed or snapshot entry.
#[derive(Debug, Deserialize)]
pub struct NodeYaml {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub config: YamlTree,
    #[serde(default)]
    pub columns: Vec<ColumnYaml>,
    #[serde(default)]
    pub tests: Vec<Spanned<Json>>,
    #[serde(default)]
    pub data_tests: Vec<Spanned<Json>>,
    /// A versioned model's versions, each built from a file of its own.
    #[serde(default)]
    pub versions: Vec<VersionYaml>,
    #[serde(default)]
    pub latest_version: Option<Spanned<Json>>,
    /// Constraints over the model's columns (`primary_key` of two columns, a `check`).
    #[serde(default)]
    pub constraints: Vec<ConstraintYaml>,
}

/// One entry of a model's `versions:`.
#[derive(Debug, Deserialize)]
pub struct VersionYaml {
    pub v: Spanned<Json>,
    /// The file's name without `.sql` (default `<model>_v<v>`).
    #[serde(default)]
    pub defined_in: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub config: YamlTree,
    /// The version's columns: the model's, with `include`/`exclude` entries, or its own.
    #[serde(default)]
    pub columns: Vec<Json>,
    #[serde(default)]
    pub tests: Vec<Spanned<Json>>,
    #[serde(default)]
    pub data_tests: Vec<Spanned<Json>>,
    #[serde(default)]
    pub constraints: Vec<ConstraintYaml>,
}

/// A version number as YAML gives it (`v: 2`, `v: "2"`), as text.
pub fn version_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.trim().to_string(),
        other => other.to_string(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ColumnYaml {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub data_type: Option<String>,
    #[serde(default)]
    pub tests: Vec<Spanned<Json>>,
    #[serde(default)]
    pub data_tests: Vec<Spanned<Json>>,
    #[serde(default)]
    pub constraints: Vec<ConstraintYaml>,
    /// Whether dbt quotes the name in the DDL it writes.
    #[serde(default)]
    pub quote: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct SourceYaml {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub database: Option<String>,
    #[serde(default)]
    pub loaded_at_field: Option<String>,
    #[serde(default)]
    pub freshness: Json,
    #[serde(default)]
    pub tables: Vec<SourceTableYaml>,
}

#[derive(Debug, Deserialize)]
pub struct SourceTableYaml {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub identifier: Option<String>,
    #[serde(default)]
    pub loaded_at_field: Option<String>,
    #[serde(default)]
    pub freshness: Json,
    #[serde(default)]
    pub columns: Vec<ColumnYaml>,
    #[serde(default)]
    pub tests: Vec<Spanned<Json>>,
    #[serde(default)]
    pub data_tests: Vec<Spanned<Json>>,
}

/// The location of a spanned YAML value in `file`.
pub fn location_of<T>(file: &str, spanned: &Spanned<T>) -> Location {
    Location::new(
        file,
        spanned.referenced.line() as usize,
        spanned.referenced.column() as usize,
    )
}

/// Parses `text` (the contents of `file`), turning a YAML or shape error into a located
/// diagnostic.
pub fn parse<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, Diagnostic> {
    serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
        let message = e.without_snippet().to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .trim()
            .to_string();
        Diagnostic::error(
            Code::Yaml,
            Location::new(file, line, column),
            format!("invalid YAML: {message}"),
        )
        .with_source(text)
    })
}
