//! A previous deploy's `manifest.json` (dbt's or modelplay's), for a change deploy: which
//! nodes are new or changed (dbt's `state:modified`), which relations are already in the
//! warehouse, and which tables changed only their distribution or sort keys, which Redshift
//! alters in place instead of rebuilding.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use serde_json::Value as Json;

use super::nodes::Existing;
use crate::project::resolved::{Dist, Materialization, SortType, TableKeys};
use crate::project::{Node, Project};

/// What the previous manifest says of one node.
#[derive(Debug, Clone)]
struct Previous {
    checksum: String,
    raw_code: Option<String>,
    materialized: String,
    config: serde_json::Map<String, Json>,
    relation: Option<String>,
}

/// A previous deploy, read from its manifest.
#[derive(Debug, Clone)]
pub struct State {
    /// What it was read from, for the deploy's header.
    pub label: String,
    nodes: HashMap<String, Previous>,
}

/// Config keys whose change changes what a deploy builds. A key the previous manifest lacks
/// and the project does not set is the same on both sides.
const DEPLOYED_KEYS: &[&str] = &[
    "materialized",
    "schema",
    "database",
    "alias",
    "bind",
    "backup",
    "unique_key",
    "incremental_strategy",
    "on_schema_change",
    "merge_update_columns",
    "merge_exclude_columns",
    "incremental_predicates",
    "auto_refresh",
    "contract",
    "grants",
    "persist_docs",
    "pre-hook",
    "post-hook",
    "strategy",
    "updated_at",
    "check_cols",
    "snapshot_meta_column_names",
    "hard_deletes",
    "dbt_valid_to_current",
];

/// The keys Redshift can change on a table that is there (`alter table ... alter ...`).
const KEY_KEYS: &[&str] = &["dist", "sort", "sort_type"];

/// What a deploy does with a node the previous manifest has.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Built as it was: nothing to deploy.
    None,
    /// New, or its SQL or config changed: built again.
    Rebuild,
    /// Only its distribution or sort keys changed: altered in place.
    Keys { dist: bool, sort: bool },
}

static CONFIG_CALL: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"(?s)\{\{-?\s*config\s*\(.*?\)\s*-?\}\}").expect("the pattern is valid")
});

/// A node's SQL without its `{{ config(...) }}` calls, and without surrounding blanks.
fn without_config(raw: &str) -> String {
    CONFIG_CALL.replace_all(raw, "").trim().to_string()
}

/// A config value as it decides what deploys, whoever wrote the manifest: dbt records
/// every default (`on_schema_change: ignore`, a contract's `alias_types`, hooks as
/// `{sql, transaction, index}`), modelplay what the project sets.
fn normalized(key: &str, v: Option<&Json>) -> Json {
    let v = match v {
        None | Some(Json::Null) => None,
        Some(v) => Some(v),
    };
    match key {
        "on_schema_change" => {
            return Json::String(
                v.and_then(Json::as_str)
                    .unwrap_or("ignore")
                    .trim()
                    .to_lowercase(),
            );
        }
        "contract" => {
            return Json::Bool(
                v.and_then(|c| c.get("enforced"))
                    .and_then(Json::as_bool)
                    .unwrap_or(false),
            );
        }
        "bind" | "backup" => return Json::Bool(v.and_then(Json::as_bool).unwrap_or(true)),
        "pre-hook" | "post-hook" => {
            let entries: Vec<Json> = match v {
                None => Vec::new(),
                Some(Json::Array(items)) => items.clone(),
                Some(one) => vec![one.clone()],
            };
            let hooks: Vec<Json> = entries
                .iter()
                .filter_map(|e| {
                    let (sql, inside) = match e {
                        Json::String(s) => (s.as_str(), true),
                        Json::Object(o) => (
                            o.get("sql").and_then(Json::as_str)?,
                            o.get("transaction").and_then(Json::as_bool).unwrap_or(true),
                        ),
                        _ => return None,
                    };
                    let sql = sql.trim();
                    (!sql.is_empty()).then(|| serde_json::json!([sql, inside]))
                })
                .collect();
            return if hooks.is_empty() {
                Json::Null
            } else {
                Json::Array(hooks)
            };
        }
        _ => {}
    }
    match v {
        None => Json::Null,
        Some(Json::Array(a)) if a.is_empty() => Json::Null,
        Some(Json::Object(o)) => {
            // `persist_docs: {relation: false}`, `snapshot_meta_column_names` of nulls: unset.
            let kept: serde_json::Map<String, Json> = o
                .iter()
                .filter(|(_, v)| !matches!(v, Json::Null | Json::Bool(false)))
                .filter(|(_, v)| !matches!(v, Json::Array(a) if a.is_empty()))
                .map(|(k, v)| (k.clone(), normalized("", Some(v))))
                .collect();
            if kept.is_empty() {
                Json::Null
            } else {
                Json::Object(kept)
            }
        }
        Some(Json::String(s)) => Json::String(s.trim().to_lowercase()),
        Some(other) => other.clone(),
    }
}

impl State {
    /// Reads a `manifest.json`; `label` names it in the deploy (its path).
    pub fn from_manifest(label: &str, text: &str) -> Result<State, String> {
        let manifest: Json = serde_json::from_str(text)
            .map_err(|e| format!("{label} is not a manifest.json: {e}"))?;
        let Some(nodes) = manifest.get("nodes").and_then(Json::as_object) else {
            return Err(format!("{label} has no `nodes`: it is not a dbt manifest"));
        };
        let nodes = nodes
            .iter()
            .map(|(id, n)| {
                let config = n
                    .get("config")
                    .and_then(Json::as_object)
                    .cloned()
                    .unwrap_or_default();
                let previous = Previous {
                    checksum: n
                        .pointer("/checksum/checksum")
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    raw_code: n.get("raw_code").and_then(Json::as_str).map(str::to_string),
                    materialized: config
                        .get("materialized")
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    relation: n
                        .get("relation_name")
                        .and_then(Json::as_str)
                        .map(str::to_string),
                    config,
                };
                (id.clone(), previous)
            })
            .collect();
        Ok(State {
            label: label.to_string(),
            nodes,
        })
    }

    /// What a deploy does with `node`.
    pub fn change(&self, project: &Project, node: &Node) -> Change {
        let Some(previous) = self.nodes.get(&node.unique_id) else {
            return Change::Rebuild;
        };
        // A file whose only edit is in its `config()` call changed its config, not its SQL:
        // the config comparison below decides. As in dbt, the relation's name is compared
        // through its `database`, `schema` and `alias` configs, not as rendered: a manifest
        // from another target (prod's database) is not a change of every node.
        if !self.same_sql(previous, project, node) {
            return Change::Rebuild;
        }
        let now = crate::artifacts::node_config(node);
        let differs =
            |key: &str| normalized(key, previous.config.get(key)) != normalized(key, now.get(key));
        if DEPLOYED_KEYS.iter().any(|k| differs(k)) {
            return Change::Rebuild;
        }
        if KEY_KEYS.iter().any(|k| differs(k)) {
            let alterable = previous.materialized != "materialized_view"
                && node
                    .materialization
                    .table_keys()
                    .is_some_and(|k| k.sort_type == SortType::Compound)
                && !matches!(
                    node.materialization,
                    Materialization::MaterializedView { .. }
                );
            return if alterable {
                Change::Keys {
                    dist: differs("dist"),
                    sort: differs("sort") || differs("sort_type"),
                }
            } else {
                Change::Rebuild
            };
        }
        Change::None
    }

    /// The `state:` selector's sets: new nodes, and those whose SQL or config changed.
    pub fn sets(&self, project: &Project) -> crate::selector::StateSets {
        let mut sets = crate::selector::StateSets::default();
        for node in project.nodes.values() {
            let id = node.unique_id.clone();
            match self.nodes.get(&node.unique_id) {
                None => {
                    sets.new.insert(id);
                }
                Some(previous) => {
                    if !self.same_sql(previous, project, node) {
                        sets.body.insert(id.clone());
                    }
                    if self.change(project, node) != Change::None {
                        sets.configs.insert(id);
                    }
                }
            }
        }
        sets.configs.retain(|id| !sets.body.contains(id));
        sets
    }

    /// Whether `node`'s SQL (its config aside) changed since the previous deploy (a node the
    /// manifest lacks counts as changed).
    pub fn body_changed(&self, project: &Project, node: &Node) -> bool {
        self.nodes
            .get(&node.unique_id)
            .is_none_or(|p| !self.same_sql(p, project, node))
    }

    fn same_sql(&self, previous: &Previous, project: &Project, node: &Node) -> bool {
        previous.checksum == node.checksum(project)
            || previous
                .raw_code
                .as_deref()
                .is_some_and(|raw| without_config(raw) == without_config(&node.raw_sql))
    }

    /// The grants the previous deploy gave `node`'s relation (its `grants` config).
    pub fn grants(&self, node: &Node) -> Vec<(String, Vec<String>)> {
        let Some(Json::Object(grants)) = self
            .nodes
            .get(&node.unique_id)
            .and_then(|p| p.config.get("grants"))
        else {
            return Vec::new();
        };
        grants
            .iter()
            .map(|(privilege, to)| {
                let to = match to {
                    Json::String(s) => vec![s.clone()],
                    Json::Array(items) => items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                };
                (privilege.clone(), to)
            })
            .collect()
    }

    /// What is in the warehouse under `node`'s relation, as the previous deploy left it.
    pub fn existing(&self, node: &Node) -> Option<Existing> {
        let previous = self.nodes.get(&node.unique_id)?;
        previous.relation.as_ref()?;
        match previous.materialized.as_str() {
            "table" | "incremental" | "seed" | "snapshot" => Some(Existing::Table),
            "view" => Some(Existing::View),
            "materialized_view" => Some(Existing::MaterializedView),
            _ => None,
        }
    }
}

/// Redshift's `alter table` for a table whose distribution or sort keys changed and whose
/// SQL did not: `alter diststyle`/`alter distkey`, `alter compound sortkey` or `alter
/// sortkey none`. Each runs outside a transaction, as Redshift requires.
pub fn alter_keys(relation: &str, keys: &TableKeys, dist: bool, sort: bool) -> Vec<String> {
    let mut out = Vec::new();
    if dist {
        let to = match &keys.dist {
            None | Some(Dist::Auto) => "alter diststyle auto".to_string(),
            Some(Dist::All) => "alter diststyle all".to_string(),
            Some(Dist::Even) => "alter diststyle even".to_string(),
            Some(Dist::Key(col)) => format!("alter diststyle key distkey {col}"),
        };
        out.push(format!("alter table {relation} {to};"));
    }
    if sort {
        let to = if keys.sort.is_empty() {
            "alter sortkey none".to_string()
        } else {
            format!("alter compound sortkey ({})", keys.sort.join(", "))
        };
        out.push(format!("alter table {relation} {to};"));
    }
    out
}
