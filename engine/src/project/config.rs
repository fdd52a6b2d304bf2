//! Node configuration, merged the way dbt merges it: `dbt_project.yml` folder levels first,
//! then the YAML `config:` block, then the file's own `{{ config(...) }}` call. Tags add up;
//! every other key is overridden by the more specific level. Every value remembers where it
//! was set, so that a problem with it is reported at that place.
//!
//! The values stay JSON only up to [`super::resolved`], which turns them into typed values
//! once, at load; nothing outside `project/` reads them as JSON.

use indexmap::IndexMap;
use serde::{Serialize, Serializer};
use serde_json::Value as Json;

use super::yaml_tree::YamlTree;
use crate::diagnostic::Location;

/// Config keys that may appear without a `+` prefix in `dbt_project.yml`; anything else
/// without a `+` is a sub-folder.
const KNOWN_KEYS: &[&str] = &[
    "materialized",
    "schema",
    "database",
    "alias",
    "tags",
    "enabled",
    "dist",
    "sort",
    "sort_type",
    "bind",
    "backup",
    "unique_key",
    "strategy",
    "updated_at",
    "check_cols",
    "target_schema",
    "target_database",
    "severity",
    "warn_if",
    "error_if",
    "store_failures",
    "where",
    "limit",
    "full_refresh",
    "on_schema_change",
    "incremental_strategy",
    "meta",
    "docs",
    "persist_docs",
    "pre-hook",
    "post-hook",
    "quote_columns",
    "column_types",
    "delimiter",
    "hard_deletes",
    "invalidate_hard_deletes",
    "dbt_valid_to_current",
    "snapshot_meta_column_names",
    "auto_refresh",
    "contract",
    "grants",
    "merge_update_columns",
    "merge_exclude_columns",
    "incremental_predicates",
    "event_time",
    "begin",
    "batch_size",
    "lookback",
    "group",
    "access",
];

/// One config value and the place it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub value: Json,
    /// The key in `dbt_project.yml` or a properties file, or in the `config()` call; just
    /// the file when no finer place is known (a `config()` call made inside a macro).
    pub at: Location,
}

/// A node's merged config: key to value, each with where it was set. Serialises as the plain
/// key-to-value mapping dbt writes in `manifest.json`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config(IndexMap<String, Setting>);

impl Serialize for Config {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, &v.value)))
    }
}

impl Config {
    /// Overlays `other` on `self`: later levels win, tags accumulate.
    pub fn merge(&mut self, other: &Config) {
        for (key, setting) in &other.0 {
            if key == "tags" {
                let mut tags = self.tags();
                for t in tags_of(&setting.value) {
                    if !tags.contains(&t) {
                        tags.push(t);
                    }
                }
                self.0.insert(
                    "tags".into(),
                    Setting {
                        value: Json::Array(tags.into_iter().map(Json::String).collect()),
                        at: setting.at.clone(),
                    },
                );
            } else if key == "pre-hook" || key == "post-hook" {
                // dbt runs the hooks of every level, the project's before the model's own;
                // each entry kept as written, so `{sql, transaction}` keeps its flag.
                let entries = |v: Option<&Json>| -> Vec<Json> {
                    match v {
                        None | Some(Json::Null) => Vec::new(),
                        Some(Json::Array(items)) => items.clone(),
                        Some(one) => vec![one.clone()],
                    }
                };
                let mut hooks = entries(self.get(key));
                hooks.extend(entries(Some(&setting.value)));
                self.0.insert(
                    key.clone(),
                    Setting {
                        value: Json::Array(hooks),
                        at: setting.at.clone(),
                    },
                );
            } else {
                self.0.insert(key.clone(), setting.clone());
            }
        }
    }

    /// A node's `pre-hook` or `post-hook` statements, in the order dbt runs them.
    pub fn hooks(&self, key: &str) -> Vec<String> {
        self.get(key).map(hooks_of).unwrap_or_default()
    }

    /// The hooks of `key` with whether each runs inside the node's transaction (dbt's
    /// `{sql: ..., transaction: false}` runs outside it; the default is inside).
    pub fn hook_entries(&self, key: &str) -> Vec<(String, bool)> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let items: Vec<&Json> = match value {
            Json::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        items
            .into_iter()
            .flat_map(|item| {
                let inside = item
                    .get("transaction")
                    .and_then(Json::as_bool)
                    .unwrap_or(true);
                hooks_of(item).into_iter().map(move |sql| (sql, inside))
            })
            .collect()
    }

    pub fn set(&mut self, key: &str, value: Json, at: Location) {
        let mut one = Config::default();
        one.0.insert(normalize_key(key), Setting { value, at });
        self.merge(&one);
    }

    /// The value of `key`, as the Jinja `config.get` and dbt's manifest see it.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.get(key).map(|s| &s.value).filter(|v| !v.is_null())
    }

    /// Where `key` was set.
    pub fn at(&self, key: &str) -> Option<&Location> {
        self.0.get(key).map(|s| &s.at)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Keeps the keys `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.0.retain(|k, _| keep(k));
    }

    /// Moves each setting to the place `place` finds for its key, where it finds one.
    pub fn relocate(&mut self, place: impl Fn(&str) -> Option<Location>) {
        for (key, setting) in self.0.iter_mut() {
            if let Some(at) = place(key) {
                setting.at = at;
            }
        }
    }

    pub(super) fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }

    pub(super) fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Json::Bool(b) => Some(*b),
            Json::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// `full_refresh: true`, which `should_full_refresh()` reports.
    pub fn full_refresh(&self) -> bool {
        self.bool("full_refresh").unwrap_or(false)
    }

    /// `store_failures: true`, which `should_store_failures()` reports.
    pub fn store_failures(&self) -> bool {
        self.bool("store_failures").unwrap_or(false)
    }

    pub fn tags(&self) -> Vec<String> {
        self.get("tags").map(tags_of).unwrap_or_default()
    }

    pub fn enabled(&self) -> bool {
        self.bool("enabled").unwrap_or(true)
    }

    /// Whether `key`'s value passes `is_match`, as dbt's `config.<key>:<value>` selector
    /// tests it: a string itself, a list any of its strings, anything else its JSON text.
    pub fn selected_by(&self, key: &str, is_match: &dyn Fn(&str) -> bool) -> bool {
        match self.get(key) {
            Some(Json::String(s)) => is_match(s),
            Some(Json::Array(items)) => items.iter().any(|i| i.as_str().is_some_and(is_match)),
            Some(other) => is_match(&other.to_string()),
            None => false,
        }
    }

    /// A string-or-list config such as `sort` or `unique_key`, as a list.
    pub(super) fn list(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn tags_of(value: &Json) -> Vec<String> {
    match value {
        Json::String(s) => vec![s.clone()],
        Json::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// A hook config as its statements: dbt takes one string, a list, or `{sql: ...,
/// transaction: ...}` for each.
pub fn hooks_of(value: &Json) -> Vec<String> {
    let one = |v: &Json| match v {
        Json::String(s) if s.trim().is_empty() => None,
        Json::String(s) => Some(s.clone()),
        Json::Object(o) => o.get("sql").and_then(Json::as_str).map(str::to_string),
        Json::Null => None,
        other => Some(other.to_string()),
    };
    match value {
        Json::Array(items) => items.iter().filter_map(one).collect(),
        v => one(v).into_iter().collect(),
    }
}

/// dbt accepts `pre_hook` and `pre-hook` alike.
fn normalize_key(key: &str) -> String {
    match key {
        "pre_hook" => "pre-hook".into(),
        "post_hook" => "post-hook".into(),
        other => other.into(),
    }
}

/// A JSON `config:` mapping (a test's arguments), every value set at `at`.
pub fn config_from_json(value: &Json, at: &Location) -> Config {
    let mut config = Config::default();
    if let Json::Object(map) = value {
        for (k, v) in map {
            config.set(k.trim_start_matches('+'), v.clone(), at.clone());
        }
    }
    config
}

/// A YAML `config:` mapping in `file`, each value set at its key.
pub fn config_from_yaml(tree: &YamlTree, file: &str) -> Config {
    let mut config = Config::default();
    for e in tree.entries() {
        config.set(
            e.key.trim_start_matches('+'),
            e.value.to_json(),
            Location::new(file, e.key_at.0, e.key_at.1),
        );
    }
    config
}

/// The folder-level configs of `dbt_project.yml` (`models:`, `seeds:`, ...) that apply to a
/// node of `project` whose file sits in `folders` (relative to its resource path) with file
/// stem `name`.
/// The config `dbt_project.yml` (the file `file`) gives a node: the tree's top level, which
/// applies to every project and package, then each level down the node's path below
/// `project`, as dbt searches a node's fully qualified name.
pub fn folder_config(
    tree: &YamlTree,
    file: &str,
    project: &str,
    folders: &[&str],
    name: &str,
) -> Config {
    let mut config = Config::default();
    apply_level(&mut config, tree, file);
    let Some(mut level) = tree.get(project).map(|e| &e.value) else {
        return config;
    };
    apply_level(&mut config, level, file);
    for part in folders.iter().copied().chain(std::iter::once(name)) {
        match level.get(part) {
            Some(next) if next.value.is_map() => {
                level = &next.value;
                apply_level(&mut config, level, file);
            }
            _ => break,
        }
    }
    config
}

fn apply_level(config: &mut Config, level: &YamlTree, file: &str) {
    for e in level.entries() {
        let at = Location::new(file, e.key_at.0, e.key_at.1);
        if let Some(plain) = e.key.strip_prefix('+') {
            config.set(plain, e.value.to_json(), at);
        } else if KNOWN_KEYS.contains(&e.key.as_str()) && !e.value.is_map() {
            config.set(&e.key, e.value.to_json(), at);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn folder_levels_override_and_tags_accumulate() {
        let text = "shop:\n  +materialized: view\n  +tags: [nightly]\n  staging:\n    +schema: staging\n    +tags: raw\n    materialized: table\n";
        let tree: YamlTree = serde_saphyr::from_str(text).unwrap();
        let c = folder_config(&tree, "dbt_project.yml", "shop", &["staging"], "stg_orders");
        assert_eq!(c.str("materialized"), Some("table"));
        assert_eq!(
            c.at("materialized"),
            Some(&Location::new("dbt_project.yml", 7, 5))
        );
        assert_eq!(c.str("schema"), Some("staging"));
        assert_eq!(c.tags(), vec!["nightly", "raw"]);
        let other = folder_config(&tree, "dbt_project.yml", "shop", &["marts"], "m");
        assert_eq!(other.str("materialized"), Some("view"));
        assert_eq!(other.str("schema"), None);
    }
}
